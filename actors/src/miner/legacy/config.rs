//! Settings of the legacy HTTP axon.

use std::time::Duration;

use axonite::legacy::{BtAuthConfig, FreshnessConfig, HeaderLimits};

/// How the miner serves bittensor 10.x dendrites and btauth/1 clients over HTTP/1.1, on TCP
/// at the port number of its QUIC endpoint. Used only when a legacy handler is registered
/// ([`MinerBuilder::legacy_handler`](crate::MinerBuilder::legacy_handler)).
#[derive(Debug, Clone)]
pub struct LegacyHttpConfig {
    /// Largest request body read; a larger `Content-Length` is refused (413) unread, and a
    /// body that keeps coming is cut there. Default 4 MiB.
    pub max_body: usize,
    /// Bounds on the request headers (count and sizes; 400 past them). Defaults:
    /// [`HeaderLimits::default`].
    pub header_limits: HeaderLimits,
    /// A request's headers must arrive within this after the connection opens or goes idle,
    /// or the connection is closed (a slowloris client holds nothing). Default 5 s.
    pub header_read_timeout: Duration,
    /// A connection on which no byte moves and no request runs for this long is closed: an
    /// idle keep-alive, or a client that stopped reading its answer (hyper has no write
    /// timeout). Default 5 s, uvicorn's keep-alive.
    pub idle_timeout: Duration,
    /// HTTP connections open at once, from everyone. Default 1,024.
    pub max_connections: usize,
    /// HTTP connections open at once from one IP address. Default 64.
    pub max_connections_per_ip: usize,
    /// The freshness window of bittensor 10.x nonces, checked on every request.
    pub freshness: FreshnessConfig,
    /// Recent nonces remembered against replays (each until its window closes). Default
    /// 65,536.
    pub nonce_capacity: usize,
    /// btauth/1 (bittensor 11's signed requests): freshness, replay cache, receiver binding.
    pub btauth: BtAuthConfig,
}

impl Default for LegacyHttpConfig {
    fn default() -> Self {
        Self {
            max_body: 4 * 1024 * 1024,
            header_limits: HeaderLimits::default(),
            header_read_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(5),
            max_connections: 1_024,
            max_connections_per_ip: 64,
            freshness: FreshnessConfig::default(),
            nonce_capacity: axonite::legacy::DEFAULT_NONCE_CAPACITY,
            btauth: BtAuthConfig::default(),
        }
    }
}
