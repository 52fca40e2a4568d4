//! Why a miner could not start.

use std::net::SocketAddr;

use axonite::transport::TlsError;

/// Why a miner could not start.
#[derive(Debug, thiserror::Error)]
pub enum MinerError {
    /// No handler was attached.
    #[error("a miner needs at least one handler")]
    NoHandlers,
    /// Two handlers were attached for the same synapse name.
    #[error("two handlers for synapse `{0}`")]
    DuplicateSynapse(&'static str),
    /// A socket could not be bound (the QUIC endpoint, or the metrics endpoint).
    #[error("cannot listen on {addr}: {source}")]
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
    #[error("cannot start the miner's actors: {0}")]
    Spawn(String),
    /// Advertising the axon on chain failed.
    #[error("cannot serve the axon on chain: {0}")]
    Serve(String),
}
