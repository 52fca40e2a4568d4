//! Why a validator could not start.

use std::net::SocketAddr;

use axonite::transport::TlsError;

/// Why a validator could not start.
#[derive(Debug, thiserror::Error)]
pub enum ValidatorError {
    /// A socket could not be bound (the QUIC endpoint, or the metrics endpoint).
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// TLS configuration failed.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The actor tree could not be started.
    #[error("cannot start the validator's actors: {0}")]
    Spawn(String),
    /// A weight setter needs the metagraph (blocks, rate limits, its own uid).
    #[error("setting weights needs a metagraph: call `metagraph` on the builder too")]
    WeightsWithoutMetagraph,
}
