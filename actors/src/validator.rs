//! The validator runtime: a supervised connection pool and a query API.
//!
//! ```text
//! validator (Supervisor)
//! ├─ weights (WeightSetter, when the validator sets weights)
//! ├─ metagraph (MetagraphMonitor, when the validator follows a chain)
//! └─ pool ── one client connection actor per miner
//! ```
//!
//! Queries go straight to an open connection (a concurrent map lookup, no mailbox); only a
//! miner without one costs a message to the pool, which connects, runs the handshake and
//! backs off after failures.
//!
//! ```no_run
//! # use axonite::{Keypair, Peer, Synapse};
//! # use serde::{Deserialize, Serialize};
//! # #[derive(Serialize, Deserialize)] struct Echo { text: String }
//! # impl Synapse for Echo { const NAME: &'static str = "Echo"; type Response = Echo; }
//! use std::time::Duration;
//! use axonite_actors::Validator;
//!
//! # async fn run(miners: Vec<Peer>) -> Result<(), Box<dyn std::error::Error>> {
//! let validator = Validator::builder(Keypair::generate()).netuid(1).start().await?;
//! let results = validator
//!     .query_many(&miners, &Echo { text: "hi".into() }, Duration::from_secs(2))
//!     .await;
//! for r in &results {
//!     println!("{} {} {:?}", r.peer, r.status(), r.latency);
//! }
//! validator.shutdown().await;
//! # Ok(()) }
//! ```

mod compat;
mod config;
mod error;
mod lane;
mod lane_reader;
mod legacy;
mod metrics;
mod pool;
mod query;
mod result;
mod shared;
mod stats;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axonite::StatusCode;
use axonite::identity::{Hotkey, Keypair};
use axonite::peer::{Peer, PeerProtocol};
use axonite::protocol::codec::encode_body;
use axonite::protocol::{CloseCode, LANE_MAX_BODY};
use axonite::synapse::{StreamingSynapse, Synapse};
use axonite::transport::{bind_endpoint, client_config};
use bytes::Bytes;
use futures_util::future::join_all;
use ractor::rpc::CallResult;
use ractor::{Actor, ActorRef};
use serde::de::DeserializeOwned;
use tokio::time::Instant;

pub use config::ValidatorConfig;
pub use error::ValidatorError;
pub use query::ChunkStream;
pub use result::{QueryError, QueryResult};
pub use stats::ValidatorStats;

use crate::metagraph::{
    MetagraphHandle, MetagraphMonitor, MetagraphSource, MonitorArgs, MonitorConfig,
};
use crate::metrics::SupervisorCell;
use crate::supervisor::{ChildSpec, Restart, Supervisor, SupervisorArguments, SupervisorMsg};
use crate::time::deadline_after;
use crate::weights::{WeightSetter, WeightsArgs, WeightsConfig, WeightsHandle, WeightsSubmitter};
use lane::{LaneFailure, MinerLink};
use pool::{ConnectionPool, PoolMsg};
use shared::ValidatorShared;

/// Builds a [`Validator`].
pub struct ValidatorBuilder {
    keypair: Keypair,
    config: ValidatorConfig,
    monitor: Option<MonitorArgs>,
    weights: Option<(Arc<dyn WeightsSubmitter>, WeightsConfig)>,
}

impl ValidatorBuilder {
    /// Sets the subnet.
    pub fn netuid(mut self, netuid: u16) -> Self {
        self.config.netuid = netuid;
        self
    }

    /// Sets the local UDP address.
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.config.bind = addr;
        self
    }

    /// Serves Prometheus metrics on `addr` (`GET /metrics`); see [`crate::metrics`].
    pub fn metrics(mut self, addr: SocketAddr) -> Self {
        self.config.metrics = Some(addr);
        self
    }

    /// Adjusts the configuration in place.
    pub fn configure(mut self, f: impl FnOnce(&mut ValidatorConfig)) -> Self {
        f(&mut self.config);
        self
    }

    /// Follows the subnet's metagraph from `source`: a [`MetagraphMonitor`] joins the
    /// validator's supervisor tree, [`Validator::miners`] lists the Axonite miners it shows,
    /// and the connection pool follows it (dials new miners, drops deregistered ones,
    /// reconnects miners that moved).
    pub fn metagraph(mut self, source: impl MetagraphSource, config: MonitorConfig) -> Self {
        self.monitor = Some(MonitorArgs {
            source: Arc::new(source),
            config,
            handle: MetagraphHandle::new(),
        });
        self
    }

    /// Sets weights on chain from the scores given to [`Validator::set_scores`]: a
    /// [`WeightSetter`] joins the validator's supervisor tree and submits through
    /// `submitter` on the subnet's schedule. Needs [`ValidatorBuilder::metagraph`].
    pub fn weights(mut self, submitter: impl WeightsSubmitter, config: WeightsConfig) -> Self {
        self.weights = Some((Arc::new(submitter), config));
        self
    }

    /// Binds the endpoint and starts the supervised pool.
    pub async fn start(self) -> Result<Validator, ValidatorError> {
        if self.weights.is_some() && self.monitor.is_none() {
            return Err(ValidatorError::WeightsWithoutMetagraph);
        }
        let config = self.config;
        let hotkey = self.keypair.hotkey();
        let client = client_config(&config.transport)?;
        let endpoint = bind_endpoint(config.bind, &config.transport, None).map_err(|source| {
            ValidatorError::Bind {
                addr: config.bind,
                source,
            }
        })?;
        let metagraph = self.monitor.as_ref().map(|m| m.handle.clone());
        let shared = Arc::new(ValidatorShared::new(
            self.keypair,
            config.clone(),
            endpoint,
            client,
            metagraph,
        ));
        let mut args = SupervisorArguments::new("validator", config.supervisor_policy);
        let weights = WeightsHandle::default();
        let has_weights = self.weights.is_some();
        if let Some(monitor) = self.monitor {
            if let Some((submitter, config)) = self.weights {
                let setter = WeightsArgs {
                    submitter,
                    config,
                    metagraph: monitor.handle.clone(),
                    hotkey,
                    handle: weights.clone(),
                };
                args = args.with_child(ChildSpec::from_actor("weights", move || {
                    (WeightSetter, setter.clone())
                }));
            }
            args = args.with_child(ChildSpec::from_actor("metagraph", move || {
                (MetagraphMonitor, monitor.clone())
            }));
        }
        let sh = shared.clone();
        args = args.with_child(
            ChildSpec::from_actor("pool", move || (ConnectionPool, sh.clone()))
                .with_restart(Restart::Transient),
        );
        let supervisor_cell = SupervisorCell::default();
        let mut metrics_addr = None;
        if let Some(addr) = config.metrics {
            let setter = has_weights.then(|| weights.clone());
            let render = metrics::render(shared.clone(), supervisor_cell.clone(), setter);
            let (child, bound) = crate::metrics::endpoint(addr, render)
                .await
                .map_err(|source| ValidatorError::Bind { addr, source })?;
            args = args.with_child(child);
            metrics_addr = Some(bound);
        }
        let (supervisor, join) = Actor::spawn(None, Supervisor, args)
            .await
            .map_err(|e| ValidatorError::Spawn(e.to_string()))?;
        let _ = supervisor_cell.set(supervisor.clone());
        Ok(Validator {
            shared,
            supervisor,
            join,
            next_id: AtomicU64::new(1),
            weights,
            metrics_addr,
        })
    }
}

/// A running validator.
pub struct Validator {
    shared: Arc<ValidatorShared>,
    supervisor: ActorRef<SupervisorMsg>,
    join: tokio::task::JoinHandle<()>,
    next_id: AtomicU64,
    weights: WeightsHandle,
    metrics_addr: Option<SocketAddr>,
}

impl Validator {
    /// Starts building a validator that proves `keypair`'s hotkey.
    pub fn builder(keypair: Keypair) -> ValidatorBuilder {
        ValidatorBuilder {
            keypair,
            config: ValidatorConfig::default(),
            monitor: None,
            weights: None,
        }
    }

    /// Where the metrics endpoint listens, when it is on.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// Counters: queries by synapse and outcome, open connections.
    pub fn stats(&self) -> ValidatorStats {
        ValidatorStats {
            queries: self.shared.queries.counts(),
            connections: self.shared.connections.len(),
        }
    }

    /// The validator's hotkey.
    pub fn hotkey(&self) -> Hotkey {
        self.shared.keypair.hotkey()
    }

    /// The supervisor at the root of this validator's actor tree.
    pub fn supervisor(&self) -> &ActorRef<SupervisorMsg> {
        &self.supervisor
    }

    /// The metagraph this validator follows, if any.
    pub fn metagraph(&self) -> Option<&MetagraphHandle> {
        self.shared.metagraph.as_ref()
    }

    /// Hands the latest scores (`(uid, score)`, any non-negative scale) to the weight
    /// setter, which submits them when weights are next due (see
    /// [`ValidatorBuilder::weights`]). Without a weight setter they are kept but never sent.
    pub fn set_scores(&self, scores: Vec<(u16, f64)>) {
        self.weights.set_scores(scores);
    }

    /// The weight setter's side: what landed, and a watch on it.
    pub fn weights(&self) -> &WeightsHandle {
        &self.weights
    }

    /// The Axonite miners in the latest metagraph snapshot (empty without one).
    pub fn miners(&self) -> Vec<Peer> {
        self.snapshot_peers(|g| g.axonite_peers())
    }

    /// `pick` applied to the latest metagraph snapshot; empty without one.
    fn snapshot_peers(
        &self,
        pick: impl FnOnce(&axonite::metagraph::Metagraph) -> Vec<Peer>,
    ) -> Vec<Peer> {
        self.shared
            .metagraph
            .as_ref()
            .and_then(MetagraphHandle::current)
            .map(|g| pick(&g))
            .unwrap_or_default()
    }

    /// Number of open, authenticated miner connections.
    pub fn connection_count(&self) -> usize {
        self.shared.connections.len()
    }

    /// Connects and authenticates to `peer` now (queries do it on demand).
    pub async fn connect(&self, peer: &Peer) -> Result<(), QueryError> {
        let deadline = deadline_after(Instant::now(), self.shared.config.connect_timeout);
        self.connection(peer, deadline).await.map(|_| ())
    }

    /// Queries one miner with the synapse's default timeout.
    pub async fn query<S: Synapse>(&self, peer: &Peer, request: &S) -> QueryResult<S::Response> {
        self.query_with_timeout(peer, request, S::TIMEOUT).await
    }

    /// Queries one miner, waiting at most `timeout` (connect included).
    pub async fn query_with_timeout<S: Synapse>(
        &self,
        peer: &Peer,
        request: &S,
        timeout: Duration,
    ) -> QueryResult<S::Response> {
        let started = Instant::now();
        match encode_body(request) {
            Ok(body) => {
                let body = Bytes::from(body);
                self.query_encoded::<S::Response>(peer, S::NAME, &body, timeout)
                    .await
            }
            Err(e) => QueryResult {
                peer: *peer,
                latency: started.elapsed(),
                process_time: None,
                outcome: Err(QueryError::Encode(e.to_string())),
            },
        }
    }

    /// Queries every miner in `peers` concurrently with one request (encoded once), each
    /// bounded by `timeout`; results come back in the order of `peers`.
    pub async fn query_many<S: Synapse>(
        &self,
        peers: &[Peer],
        request: &S,
        timeout: Duration,
    ) -> Vec<QueryResult<S::Response>> {
        let body = match encode_body(request) {
            Ok(body) => Bytes::from(body),
            Err(e) => {
                let error = QueryError::Encode(e.to_string());
                return peers
                    .iter()
                    .map(|peer| QueryResult {
                        peer: *peer,
                        latency: Duration::ZERO,
                        process_time: None,
                        outcome: Err(error.clone()),
                    })
                    .collect();
            }
        };
        join_all(
            peers
                .iter()
                .map(|peer| self.query_encoded::<S::Response>(peer, S::NAME, &body, timeout)),
        )
        .await
    }

    /// Opens a streaming query; read chunks from the returned stream. `timeout` bounds the
    /// whole stream.
    pub async fn query_stream<S: StreamingSynapse>(
        &self,
        peer: &Peer,
        request: &S,
        timeout: Duration,
    ) -> Result<ChunkStream<S::Chunk>, QueryError> {
        let deadline = deadline_after(Instant::now(), timeout);
        let body = encode_body(request)
            .map(Bytes::from)
            .map_err(|e| QueryError::Encode(e.to_string()))?;
        let conn = self.connection(peer, deadline).await?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let remaining = deadline.saturating_duration_since(Instant::now());
        let (_send, recv) = tokio::time::timeout_at(
            deadline,
            query::send_request(&conn.conn, S::NAME, id, remaining, &body),
        )
        .await
        .map_err(|_| QueryError::Timeout)??;
        Ok(ChunkStream {
            recv,
            limits: self.shared.config.limits.clone(),
            deadline,
            received: 0,
            done: false,
            _t: std::marker::PhantomData,
        })
    }

    async fn query_encoded<R: DeserializeOwned>(
        &self,
        peer: &Peer,
        synapse: &'static str,
        body: &Bytes,
        timeout: Duration,
    ) -> QueryResult<R> {
        let started = Instant::now();
        let deadline = deadline_after(started, timeout);
        let exchange = async {
            if peer.protocol == PeerProtocol::LegacyHttp {
                return Err(QueryError::Protocol(
                    "this miner runs a legacy HTTP axon: query it with query_compat".into(),
                ));
            }
            let link = self.connection(peer, deadline).await?;
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            let remaining = deadline.saturating_duration_since(Instant::now());
            let limits = &self.shared.config.limits;
            if self.shared.config.lanes && body.len() <= LANE_MAX_BODY {
                let on_lane = async {
                    let Some(lane) = link.lane(limits).await? else {
                        return Ok(None);
                    };
                    match lane.exchange(synapse, id, remaining, body).await {
                        Ok(answer) => Ok(Some(query::lane_outcome::<R>(answer, limits))),
                        Err(LaneFailure::Unsupported) => {
                            link.lanes_unsupported();
                            Ok(None)
                        }
                        Err(LaneFailure::Failed(e)) => Err(e),
                    }
                };
                match on_lane.await {
                    Ok(Some(answered)) => return Ok(answered),
                    // The miner speaks no lanes: a stream of its own, below.
                    Ok(None) => {}
                    Err(e) => return Err(query::with_close_reason(&link.conn, e)),
                }
            }
            let conn = &link.conn;
            let (_send, mut recv) = query::send_request(conn, synapse, id, remaining, body)
                .await
                .map_err(|e| query::with_close_reason(conn, e))?;
            let (process_time, outcome) = query::read_response::<R>(&mut recv, limits).await;
            let outcome = outcome.map_err(|e| query::with_close_reason(conn, e));
            Ok::<_, QueryError>((process_time, outcome))
        };
        let (process_time, outcome) = match tokio::time::timeout_at(deadline, exchange).await {
            Ok(Ok((process_time, outcome))) => (process_time, outcome),
            Ok(Err(e)) => (None, Err(e)),
            Err(_) => (None, Err(QueryError::Timeout)),
        };
        let latency = started.elapsed();
        let status = outcome
            .as_ref()
            .map_or_else(QueryError::status, |_| StatusCode::OK);
        self.shared.queries.record(synapse, status, latency);
        QueryResult {
            peer: *peer,
            latency,
            process_time,
            outcome,
        }
    }

    /// An authenticated connection to `peer`: from the map, or from the pool.
    async fn connection(&self, peer: &Peer, deadline: Instant) -> Result<MinerLink, QueryError> {
        if peer.protocol == PeerProtocol::LegacyHttp {
            return Err(QueryError::Protocol(
                "this miner runs a legacy HTTP axon: it has no QUIC connection".into(),
            ));
        }
        if let Some(conn) = self.shared.live_connection(peer) {
            return Ok(conn);
        }
        let pool = self
            .shared
            .pool(deadline)
            .await
            .ok_or(QueryError::Timeout)?;
        let wait = deadline.saturating_duration_since(Instant::now());
        match pool
            .call(|reply| PoolMsg::Connect(*peer, reply), Some(wait))
            .await
        {
            Ok(CallResult::Success(result)) => result,
            Ok(CallResult::Timeout) => Err(QueryError::Timeout),
            Ok(CallResult::SenderError) | Err(_) => Err(QueryError::Stopped),
        }
    }

    /// Closes every connection and stops the actor tree.
    pub async fn shutdown(self) {
        let _ = self
            .supervisor
            .stop_and_wait(Some("shutdown".into()), Some(Duration::from_secs(5)))
            .await;
        self.shared
            .endpoint
            .close(CloseCode::Normal.code().into(), b"validator shutting down");
        let _ =
            tokio::time::timeout(Duration::from_secs(2), self.shared.endpoint.wait_idle()).await;
        let _ = tokio::time::timeout(Duration::from_secs(2), self.join).await;
    }
}
