//! Miner settings.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axonite::directory::ValidatorDirectory;
use axonite::handshake::ServerPolicy;
use axonite::identity::Hotkey;
use axonite::protocol::Limits;
use axonite::transport::TransportSettings;

use super::gate::ValidatorGate;
use super::legacy::LegacyHttpConfig;
use crate::rate_limit::{Quota, RateLimitConfig};
use crate::supervisor::{Backoff, RestartPolicy};

/// Everything a miner can be tuned with. Plain data with defaults; see each field for the
/// trade-off it controls.
#[derive(Clone)]
pub struct MinerConfig {
    /// Where to listen (UDP). Default `127.0.0.1:0` (loopback, any free port); a public miner
    /// sets `0.0.0.0:<port>`.
    pub listen: SocketAddr,
    /// Handshake rules: netuid, freshness window, clock skew, replay memory.
    pub handshake: ServerPolicy,
    /// Sizes accepted from validators.
    pub limits: Limits,
    /// QUIC knobs.
    pub transport: TransportSettings,
    /// A connection must finish TLS and the handshake within this. Default 5 s.
    pub handshake_timeout: Duration,
    /// Connections allowed to be handshaking at once, from everyone. Default 1,024.
    pub max_pending_handshakes: usize,
    /// Connections allowed to be handshaking at once from one IP address. Default 16.
    pub max_pending_per_ip: usize,
    /// New connections one IP address may open: sustained per second and burst. Attempts
    /// over it are dropped before TLS, unanswered (an attacker learns nothing and gets no
    /// amplification). `None`: no limit. Default 20 per second, burst 100.
    pub connection_rate_per_ip: Option<Quota>,
    /// When at least this many handshakes are pending, a new client must first prove it
    /// owns its source address with a QUIC Retry (one extra round trip), so forged
    /// addresses can neither fill the pending slots nor dodge the per-IP limits. `0`:
    /// always. Default `usize::MAX`, never: on a CPU-starved host we saw about one dial in
    /// a thousand that went through a Retry stall until its idle timeout, so this is opt-in
    /// for miners that face spoofed floods.
    pub validate_addresses_above: usize,
    /// Authenticated connections held at once. Default 4,096.
    pub max_connections: usize,
    /// A request's head and body must arrive within this, or it is answered 408 and its
    /// stream stopped, so a slow or stalled stream cannot hold resources. Default 10 s.
    pub request_read_timeout: Duration,
    /// A response (or the end of a stream) must be written and acknowledged by the validator
    /// within this, or its stream is reset and what was buffered for it freed: a validator
    /// that stops reading cannot hold miner memory. Default 10 s.
    pub response_write_timeout: Duration,
    /// Upper bound on the deadline a validator may ask for. Default 60 s.
    pub max_request_timeout: Duration,
    /// Serve lanes: long-lived streams on which validators pipeline small requests (see
    /// [`axonite::protocol`]). Off, a lane's first request is answered 400 as a request
    /// stream, and Axonite validators fall back to a stream per request. Default true.
    pub lanes: bool,
    /// Worker actors per synapse: how many requests of one synapse run at once. Default 32.
    pub workers_per_synapse: usize,
    /// Requests of one synapse waiting for a worker; past this the lowest priority is shed
    /// with 503. Default 1,024.
    pub queue_capacity: usize,
    /// How often a handler worker may be restarted after panics before its pool gives up and
    /// escalates. Handler panics are usually caused by input, so the default is generous
    /// (1,000 within 60 s, backoff 1 ms to 100 ms).
    pub worker_restart_policy: RestartPolicy,
    /// Restart budget of the miner's own children (listener, handler pools). Default 5
    /// within 30 s.
    pub supervisor_policy: RestartPolicy,
    /// If set, only these validators may complete the handshake. `None` admits every
    /// validator that proves its hotkey (static mode without a chain).
    pub allowed_validators: Option<HashSet<Hotkey>>,
    /// Where a caller's uid, stake and permit come from. `None`: every caller has stake 0
    /// and no permit.
    pub directory: Option<Arc<dyn ValidatorDirectory>>,
    /// Per-hotkey rate limits with quotas from stake, checked before a request's body is
    /// read (429 when over). `None` (the default): no rate limits.
    pub rate_limits: Option<RateLimitConfig>,
    /// Where to serve Prometheus metrics (`GET /metrics`, plain HTTP). `None` (the
    /// default): no endpoint. Use a loopback address unless a scraper elsewhere needs it.
    pub metrics: Option<SocketAddr>,
    /// How often the miner logs (info) a summary of what it served and refused, by reason,
    /// when anything happened. `None`: never. Default 60 s.
    pub report_interval: Option<Duration>,
    /// Which validators may complete the handshake, judged from `directory`. Default
    /// [`ValidatorGate::OPEN`]; a miner following a chain uses [`ValidatorGate::PERMITTED`].
    pub gate: ValidatorGate,
    /// The legacy HTTP axon (bittensor 10.x dendrites, btauth/1), served when a legacy
    /// handler is registered.
    pub legacy: LegacyHttpConfig,
}

impl Default for MinerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            handshake: ServerPolicy::new(0),
            limits: Limits::default(),
            transport: TransportSettings::default(),
            handshake_timeout: Duration::from_secs(5),
            max_pending_handshakes: 1_024,
            max_pending_per_ip: 16,
            connection_rate_per_ip: Some(Quota::new(20, 100)),
            validate_addresses_above: usize::MAX,
            max_connections: 4_096,
            request_read_timeout: Duration::from_secs(10),
            response_write_timeout: Duration::from_secs(10),
            max_request_timeout: Duration::from_secs(60),
            lanes: true,
            workers_per_synapse: 32,
            queue_capacity: 1_024,
            worker_restart_policy: RestartPolicy::default()
                .with_max_restarts(1_000)
                .with_window(Duration::from_secs(60))
                .with_backoff(
                    Backoff::default()
                        .with_initial(Duration::from_millis(1))
                        .with_max(Duration::from_millis(100)),
                ),
            supervisor_policy: RestartPolicy::default(),
            allowed_validators: None,
            directory: None,
            gate: ValidatorGate::OPEN,
            rate_limits: None,
            report_interval: Some(Duration::from_secs(60)),
            metrics: None,
            legacy: LegacyHttpConfig::default(),
        }
    }
}

impl std::fmt::Debug for MinerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MinerConfig")
            .field("listen", &self.listen)
            .field("handshake", &self.handshake)
            .field("limits", &self.limits)
            .field("transport", &self.transport)
            .field("handshake_timeout", &self.handshake_timeout)
            .field("max_pending_handshakes", &self.max_pending_handshakes)
            .field("max_pending_per_ip", &self.max_pending_per_ip)
            .field("connection_rate_per_ip", &self.connection_rate_per_ip)
            .field("validate_addresses_above", &self.validate_addresses_above)
            .field("max_connections", &self.max_connections)
            .field("request_read_timeout", &self.request_read_timeout)
            .field("response_write_timeout", &self.response_write_timeout)
            .field("max_request_timeout", &self.max_request_timeout)
            .field("workers_per_synapse", &self.workers_per_synapse)
            .field("queue_capacity", &self.queue_capacity)
            .field("allowed_validators", &self.allowed_validators)
            .field(
                "directory",
                &self.directory.as_ref().map(|_| "<dyn ValidatorDirectory>"),
            )
            .field("gate", &self.gate)
            .field("rate_limits", &self.rate_limits)
            .field("report_interval", &self.report_interval)
            .field("metrics", &self.metrics)
            .field("legacy", &self.legacy)
            .finish_non_exhaustive()
    }
}
