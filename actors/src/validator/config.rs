//! Validator settings.

use std::net::SocketAddr;
use std::time::Duration;

use axonite::protocol::Limits;
use axonite::transport::TransportSettings;

use crate::supervisor::{Backoff, RestartPolicy};

/// Validator settings.
#[derive(Debug, Clone)]
pub struct ValidatorConfig {
    /// The subnet, sent in every handshake.
    pub netuid: u16,
    /// Local UDP address. Default `0.0.0.0:0`; tests and local demos use `127.0.0.1:0`.
    pub bind: SocketAddr,
    /// Sizes accepted from miners.
    pub limits: Limits,
    /// QUIC knobs.
    pub transport: TransportSettings,
    /// Connect plus handshake must finish within this. Default 5 s.
    pub connect_timeout: Duration,
    /// After a failed connect, a miner is not retried before this backoff (per miner,
    /// growing with consecutive failures). Default 100 ms doubling to 10 s.
    pub reconnect_backoff: Backoff,
    /// Restart budget of the validator's children. Default 5 within 30 s.
    pub supervisor_policy: RestartPolicy,
    /// When following a metagraph, dial every Axonite miner as soon as it appears (instead of
    /// on the first query). Default true.
    pub connect_to_metagraph: bool,
    /// Where to serve Prometheus metrics (`GET /metrics`, plain HTTP). `None` (the
    /// default): no endpoint. Use a loopback address unless a scraper elsewhere needs it.
    pub metrics: Option<SocketAddr>,
    /// Pipeline unary requests with bodies up to
    /// [`LANE_MAX_BODY`](axonite::protocol::LANE_MAX_BODY) on one long-lived stream per
    /// miner (a *lane*) instead of opening a stream per request: about twice the requests
    /// per second per core. The cost: answers on a lane leave the miner one after another,
    /// so a large answer delays the small ones behind it by its transfer time. Larger
    /// requests and streaming synapses always take a stream of their own. Default true.
    pub lanes: bool,
}

impl Default for ValidatorConfig {
    fn default() -> Self {
        Self {
            netuid: 0,
            bind: SocketAddr::from(([0, 0, 0, 0], 0)),
            limits: Limits::default(),
            transport: TransportSettings::default(),
            connect_timeout: Duration::from_secs(5),
            reconnect_backoff: Backoff::default()
                .with_initial(Duration::from_millis(100))
                .with_max(Duration::from_secs(10)),
            supervisor_policy: RestartPolicy::default(),
            connect_to_metagraph: true,
            metrics: None,
            lanes: true,
        }
    }
}
