//! The miner runtime: a listener and one handler pool per synapse under a supervisor.
//!
//! ```text
//! miner (Supervisor)
//! ├─ metagraph (MetagraphMonitor, when the miner follows a chain)
//! ├─ rate-limiter (RateLimiter, when rate limits are on: sweeps idle keys)
//! ├─ reporter (logs what was served and refused, by reason, every minute)
//! ├─ metrics (serves GET /metrics, when configured)
//! ├─ listener ── one connection actor per QUIC connection
//! └─ handlers/<Synapse> ── worker actors (one pool per synapse)
//! ```
//!
//! ```no_run
//! # use axonite::{Admission, Handler, HandlerError, Keypair, RequestContext, Synapse};
//! # use serde::{Deserialize, Serialize};
//! # #[derive(Serialize, Deserialize)] struct Echo { text: String }
//! # impl Synapse for Echo { const NAME: &'static str = "Echo"; type Response = Echo; }
//! # struct EchoMiner;
//! # impl Admission<Echo> for EchoMiner {}
//! # impl Handler<Echo> for EchoMiner {
//! #     async fn forward(&self, _: &RequestContext, r: Echo) -> Result<Echo, HandlerError> { Ok(r) }
//! # }
//! use axonite_actors::Miner;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let miner = Miner::builder(Keypair::generate())
//!     .netuid(1)
//!     .listen("127.0.0.1:8091".parse()?)
//!     .handler::<Echo, _>(EchoMiner)
//!     .start()
//!     .await?;
//! println!("serving {} on {}", miner.hotkey(), miner.local_addr());
//! miner.wait().await;
//! # Ok(()) }
//! ```

mod caller;
mod config;
mod connection;
mod error;
mod gate;
mod ip_slots;
mod lane;
mod lane_answer;
mod legacy;
mod listener;
mod metrics;
mod report;
mod request;
mod respond;
mod serve;
mod shared;
mod stats;
mod strikes;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axonite::directory::ValidatorDirectory;
use axonite::handshake::HandshakeVerifier;
use axonite::identity::{Hotkey, Keypair};
use axonite::legacy::{LegacyService, LegacySynapse, legacy_unary};
use axonite::peer::Peer;
use axonite::protocol::CloseCode;
use axonite::service::{self, Service};
use axonite::synapse::{StreamingSynapse, Synapse};
use axonite::transport::server_config;
use axonite::{Handler, StreamHandler};
use governor::DefaultKeyedRateLimiter;
use ractor::{Actor, ActorRef};

pub use config::MinerConfig;
pub use error::MinerError;
pub use gate::ValidatorGate;
pub use legacy::LegacyHttpConfig;
pub use stats::{MinerStats, RequestCounts};

use axonite::metagraph::AxonInfo;

use crate::chain::ChainSource;
use crate::handler::{HandlerPool, PoolArgs, PoolQueue};
use crate::metagraph::{
    MetagraphHandle, MetagraphMonitor, MetagraphSource, MonitorArgs, MonitorConfig,
};
use crate::rate_limit::{RateLimitConfig, RateLimiter, RateLimits};
use crate::supervisor::{ChildSpec, Restart, Supervisor, SupervisorArguments, SupervisorMsg};
use legacy::{LegacyListener, bind_ports, legacy_shared};
use listener::Listener;
use report::Reporter;
use serve::serve;

use crate::metrics::SupervisorCell;
use crate::progress::waiting_for;
use shared::{MinerShared, Route};

/// The least time each step of a shutdown gets once the grace is spent.
const TEARDOWN: Duration = Duration::from_millis(500);

/// Builds a [`Miner`]: identity, settings and one handler per synapse.
pub struct MinerBuilder {
    keypair: Keypair,
    config: MinerConfig,
    services: Vec<Arc<dyn Service>>,
    legacy: Vec<LegacyService>,
    stream_chunk_buffer: usize,
    monitor: Option<MonitorArgs>,
    serve: Option<(Arc<ChainSource>, SocketAddr)>,
}

impl MinerBuilder {
    /// Sets the subnet this miner serves (handshakes for other netuids are refused).
    pub fn netuid(mut self, netuid: u16) -> Self {
        self.config.handshake.netuid = netuid;
        self
    }

    /// Sets the UDP address to listen on.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.config.listen = addr;
        self
    }

    /// Replaces the whole configuration (keeps the netuid set so far only if `config` does).
    pub fn config(mut self, config: MinerConfig) -> Self {
        self.config = config;
        self
    }

    /// Adjusts the configuration in place.
    pub fn configure(mut self, f: impl FnOnce(&mut MinerConfig)) -> Self {
        f(&mut self.config);
        self
    }

    /// Admits only these validators to the handshake.
    pub fn allow_validators(mut self, validators: impl IntoIterator<Item = Hotkey>) -> Self {
        self.config.allowed_validators = Some(validators.into_iter().collect::<HashSet<_>>());
        self
    }

    /// Looks callers up in `directory` (uid, stake, permit for handlers and priority).
    pub fn directory(mut self, directory: impl ValidatorDirectory) -> Self {
        self.config.directory = Some(Arc::new(directory));
        self
    }

    /// Follows the subnet's metagraph from `source`: a [`MetagraphMonitor`] joins the miner's
    /// supervisor tree, handlers see callers' uid, stake and permit from it, and only
    /// registered validators holding a permit complete the handshake
    /// ([`ValidatorGate::PERMITTED`]; adjust `gate` with [`MinerBuilder::configure`] after
    /// this call). Before the first sync every validator is refused: the gate fails closed.
    pub fn metagraph(mut self, source: impl MetagraphSource, config: MonitorConfig) -> Self {
        let handle = MetagraphHandle::new();
        self.config.directory = Some(Arc::new(handle.clone()));
        self.config.gate = ValidatorGate::PERMITTED;
        self.monitor = Some(MonitorArgs {
            source: Arc::new(source),
            config,
            handle,
        });
        self
    }

    /// Advertises this miner on chain when it starts: `serve_axon` at `external` (the
    /// address validators should dial; port 0 means the bound port) with the Axonite marker,
    /// signed by the miner's hotkey. Skipped when the chain already shows this exact axon, since
    /// the pallet rate-limits serving.
    pub fn serve_axon(mut self, chain: Arc<ChainSource>, external: SocketAddr) -> Self {
        self.serve = Some((chain, external));
        self
    }

    /// Rate-limits validators per hotkey with quotas from their stake (see
    /// [`RateLimitConfig`]); a [`RateLimiter`] joins the miner's tree to keep its memory
    /// bounded.
    pub fn rate_limits(mut self, config: RateLimitConfig) -> Self {
        self.config.rate_limits = Some(config);
        self
    }

    /// Attaches `handler` for synapse `S`.
    pub fn handler<S: Synapse, H: Handler<S>>(mut self, handler: H) -> Self {
        self.services
            .push(service::unary::<S, H>(Arc::new(handler)));
        self
    }

    /// Attaches a shared handler (one value serving several synapses) for synapse `S`.
    pub fn shared_handler<S: Synapse, H: Handler<S>>(mut self, handler: Arc<H>) -> Self {
        self.services.push(service::unary::<S, H>(handler));
        self
    }

    /// Attaches `handler` for synapse `S` over QUIC **and** over legacy HTTP: bittensor 10.x
    /// dendrites POST `S` as JSON to `/<S::LEGACY_NAME>` on TCP at this miner's port number,
    /// and btauth/1 clients may too. Both transports share `S`'s queue, admission hooks,
    /// gate and rate limits (see [`LegacyHttpConfig`] for the HTTP limits).
    pub fn legacy_handler<S: LegacySynapse, H: Handler<S>>(self, handler: H) -> Self {
        self.shared_legacy_handler::<S, H>(Arc::new(handler))
    }

    /// [`MinerBuilder::legacy_handler`] with a shared handler.
    pub fn shared_legacy_handler<S: LegacySynapse, H: Handler<S>>(
        mut self,
        handler: Arc<H>,
    ) -> Self {
        self.services.push(service::unary::<S, H>(handler.clone()));
        self.legacy.push(legacy_unary::<S, H>(handler));
        self
    }

    /// Attaches a streaming `handler` for synapse `S`.
    pub fn stream_handler<S: StreamingSynapse, H: StreamHandler<S>>(mut self, handler: H) -> Self {
        self.services.push(service::streaming::<S, H>(
            Arc::new(handler),
            self.stream_chunk_buffer,
        ));
        self
    }

    /// Serves Prometheus metrics on `addr` (`GET /metrics`); see [`crate::metrics`].
    pub fn metrics(mut self, addr: SocketAddr) -> Self {
        self.config.metrics = Some(addr);
        self
    }

    /// Binds the endpoint and starts the supervised actor tree.
    pub async fn start(self) -> Result<Miner, MinerError> {
        if self.services.is_empty() {
            return Err(MinerError::NoHandlers);
        }
        let config = self.config;
        let mut routes = HashMap::new();
        for service in self.services {
            let name = service.name();
            let queue = Arc::new(PoolQueue::new(config.queue_capacity));
            let route = Arc::new(Route {
                service,
                queue,
                tally: Default::default(),
                latency: Default::default(),
            });
            if routes.insert(name, route).is_some() {
                return Err(MinerError::DuplicateSynapse(name));
            }
        }
        let server = server_config(&config.transport)?;
        let (endpoint, tcp) = bind_ports(&config, server, !self.legacy.is_empty())?;
        let local_addr = endpoint.local_addr().map_err(|source| MinerError::Bind {
            addr: config.listen,
            source,
        })?;
        let hotkey = self.keypair.hotkey();
        let (tcp, legacy) = match tcp {
            Some(tcp) => {
                let legacy = legacy_shared(self.legacy, &routes, &self.keypair, &config, &tcp)?;
                (Some(Arc::new(tcp)), Some(legacy))
            }
            None => (None, None),
        };
        let legacy_addr = legacy.as_ref().map(|l| l.local);
        if let Some((chain, external)) = &self.serve {
            let port = match external.port() {
                0 => local_addr.port(),
                port => port,
            };
            let axon = AxonInfo::axonite(external.ip(), port);
            let serving = serve(chain, &self.keypair, config.handshake.netuid, axon);
            waiting_for("serving the axon on chain", serving)
                .await
                .map_err(MinerError::Serve)?;
        }
        let rate_limits = config
            .rate_limits
            .as_ref()
            .map(|c| Arc::new(RateLimits::new(c)));
        let shared = Arc::new(MinerShared {
            verifier: HandshakeVerifier::new(self.keypair, config.handshake.clone()),
            routes,
            rate_limits: rate_limits.clone(),
            pending: Default::default(),
            active: Default::default(),
            in_flight: Default::default(),
            connection_rate: config
                .connection_rate_per_ip
                .map(|q| DefaultKeyedRateLimiter::dashmap(q.governor())),
            stats: Default::default(),
            unrouted: Default::default(),
            legacy,
            config,
        });

        let mut args = SupervisorArguments::new("miner", shared.config.supervisor_policy.clone());
        let metagraph = self.monitor.as_ref().map(|m| m.handle.clone());
        if let Some(monitor) = self.monitor {
            args = args.with_child(ChildSpec::from_actor("metagraph", move || {
                (MetagraphMonitor, monitor.clone())
            }));
        }
        if let (Some(limits), Some(cfg)) = (rate_limits, &shared.config.rate_limits) {
            let sweep = cfg.sweep_interval;
            args = args.with_child(ChildSpec::from_actor("rate-limiter", move || {
                (RateLimiter, (limits.clone(), sweep))
            }));
        }
        if let Some(every) = shared.config.report_interval {
            let sh = shared.clone();
            args = args.with_child(ChildSpec::from_actor("reporter", move || {
                (Reporter, (sh.clone(), every))
            }));
        }
        let supervisor_cell = SupervisorCell::default();
        let mut metrics_addr = None;
        if let Some(addr) = shared.config.metrics {
            let render =
                metrics::render(shared.clone(), supervisor_cell.clone(), metagraph.clone());
            let (child, bound) = crate::metrics::endpoint(addr, render)
                .await
                .map_err(|source| MinerError::Bind { addr, source })?;
            args = args.with_child(child);
            metrics_addr = Some(bound);
        }
        let (ep, sh) = (endpoint.clone(), shared.clone());
        args = args.with_child(
            ChildSpec::from_actor("listener", move || (Listener, (ep.clone(), sh.clone())))
                .with_restart(Restart::Transient),
        );
        if let Some(tcp) = tcp {
            let sh = shared.clone();
            args = args.with_child(
                ChildSpec::from_actor("legacy-http", move || {
                    (LegacyListener, (tcp.clone(), sh.clone()))
                })
                .with_restart(Restart::Transient),
            );
        }
        for (name, route) in &shared.routes {
            let (name, queue) = (*name, route.queue.clone());
            let workers = shared.config.workers_per_synapse;
            let policy = shared.config.worker_restart_policy.clone();
            args = args.with_child(ChildSpec::from_actor(
                format!("handlers/{name}"),
                move || {
                    let pool = PoolArgs {
                        synapse: name,
                        queue: queue.clone(),
                        workers,
                        policy: policy.clone(),
                    };
                    (HandlerPool, pool)
                },
            ));
        }
        let (supervisor, join) = Actor::spawn(None, Supervisor, args)
            .await
            .map_err(|e| MinerError::Spawn(e.to_string()))?;
        let _ = supervisor_cell.set(supervisor.clone());
        tracing::info!(%hotkey, addr = %local_addr, synapses = shared.routes.len(), "miner started");
        if let Some(addr) = legacy_addr {
            tracing::info!(%addr, "serving legacy HTTP (bittensor 10 dendrites, btauth/1)");
        }
        Ok(Miner {
            hotkey,
            local_addr,
            legacy_addr,
            endpoint,
            shared,
            supervisor,
            join,
            metagraph,
            metrics_addr,
        })
    }
}

/// A running miner. Dropping it does not stop it; call [`Miner::shutdown`].
pub struct Miner {
    hotkey: Hotkey,
    local_addr: SocketAddr,
    legacy_addr: Option<SocketAddr>,
    endpoint: quinn::Endpoint,
    shared: Arc<MinerShared>,
    supervisor: ActorRef<SupervisorMsg>,
    join: tokio::task::JoinHandle<()>,
    metagraph: Option<MetagraphHandle>,
    metrics_addr: Option<SocketAddr>,
}

impl Miner {
    /// Starts building a miner that proves `keypair`'s hotkey.
    pub fn builder(keypair: Keypair) -> MinerBuilder {
        MinerBuilder {
            keypair,
            config: MinerConfig::default(),
            services: Vec::new(),
            legacy: Vec::new(),
            stream_chunk_buffer: 16,
            monitor: None,
            serve: None,
        }
    }

    /// The miner's hotkey.
    pub fn hotkey(&self) -> Hotkey {
        self.hotkey
    }

    /// The bound UDP address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The TCP address of the legacy HTTP axon, when a legacy handler is registered (the
    /// same IP and port number as [`Miner::local_addr`]).
    pub fn legacy_addr(&self) -> Option<SocketAddr> {
        self.legacy_addr
    }

    /// This miner as a validator's static peer.
    pub fn peer(&self) -> Peer {
        Peer::new(self.hotkey, self.local_addr)
    }

    /// Where the metrics endpoint listens, when it is on.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The metagraph this miner follows, if any.
    pub fn metagraph(&self) -> Option<&MetagraphHandle> {
        self.metagraph.as_ref()
    }

    /// Counters: connections by outcome, requests by synapse and status, rate limits.
    pub fn stats(&self) -> MinerStats {
        self.shared.stats()
    }

    /// The supervisor at the root of this miner's actor tree.
    pub fn supervisor(&self) -> &ActorRef<SupervisorMsg> {
        &self.supervisor
    }

    /// Waits until the actor tree stops (after [`Miner::shutdown`], or when the supervisor
    /// escalates because a child exhausted its restart budget).
    pub async fn wait(self) {
        let _ = self.join.await;
    }

    /// Shuts down gracefully: stops accepting connections and requests (new requests are
    /// answered 503), lets the requests already received finish and their answers reach
    /// the validators, for up to `grace`; then answers whatever is left 503, closes every
    /// connection with a reason, stops the actors, and waits for the UDP port to be
    /// released (so a miner can be restarted on the same port at once).
    pub async fn shutdown(self, grace: Duration) {
        let deadline = Instant::now() + grace;
        self.endpoint.set_server_config(None);
        if let Some(legacy) = &self.shared.legacy {
            legacy.accepting.store(false, Ordering::Release);
        }
        for route in self.shared.routes.values() {
            route.queue.stop_accepting();
        }
        let drained = async {
            while self.shared.in_flight.load(Ordering::Acquire) > 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        };
        if tokio::time::timeout_at(deadline.into(), drained)
            .await
            .is_err()
        {
            let left = self.shared.in_flight.load(Ordering::Acquire);
            tracing::warn!(left, "shutdown grace over: answering the requests left 503");
        }
        for route in self.shared.routes.values() {
            route.queue.close();
        }
        // Tearing down gets what is left of the grace, and at least a moment.
        let teardown = || {
            deadline
                .saturating_duration_since(Instant::now())
                .max(TEARDOWN)
        };
        let _ = self
            .supervisor
            .stop_and_wait(Some("shutdown".into()), Some(teardown()))
            .await;
        self.endpoint
            .close(CloseCode::Shutdown.code().into(), b"miner shutting down");
        let _ = tokio::time::timeout(teardown(), self.endpoint.wait_idle()).await;
        let _ = tokio::time::timeout(teardown(), self.join).await;
        // quinn releases the UDP socket in its driver task shortly after the last handle
        // drops; wait for it so a miner restarted on the same port can bind it.
        let addr = self.local_addr;
        drop(self.endpoint);
        let released = async {
            while std::net::UdpSocket::bind(addr).is_err() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        };
        if tokio::time::timeout(teardown(), released).await.is_err() {
            tracing::warn!(%addr, "UDP port still bound after shutdown");
        }
    }
}
