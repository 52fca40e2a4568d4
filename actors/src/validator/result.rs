//! What a query returns, per miner.

use std::time::Duration;

use axonite::StatusCode;
use axonite::peer::Peer;

use crate::handshake::HandshakeFailure;

/// Why a query did not produce a response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The miner answered with a non-200 status (blacklisted, rate limited, handler error, ...).
    #[error("miner answered {status}: {message}")]
    Status {
        /// The miner's status.
        status: StatusCode,
        /// The miner's message.
        message: String,
    },
    /// No answer before the query's timeout.
    #[error("timed out")]
    Timeout,
    /// The miner could not be reached (connect failed, or backing off after failures).
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// The handshake with the miner failed (wrong hotkey, refused, ...).
    #[error("handshake failed: {0}")]
    Handshake(HandshakeFailure),
    /// The connection or stream broke during the query.
    #[error("connection error: {0}")]
    Connection(String),
    /// The miner broke the protocol (bad frame, oversized response).
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The response did not decode as the synapse's response type.
    #[error("undecodable response: {0}")]
    Decode(String),
    /// The request could not be encoded.
    #[error("cannot encode request: {0}")]
    Encode(String),
    /// The validator is shutting down.
    #[error("validator stopped")]
    Stopped,
}

impl QueryError {
    /// The status this error stands for, in bittensor's habits: the miner's own status when
    /// it answered, 408 for a timeout, 503 when unreachable, 401 for a failed handshake, 500
    /// otherwise.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Status { status, .. } => *status,
            Self::Timeout => StatusCode::TIMEOUT,
            Self::Unreachable(_) | Self::Connection(_) | Self::Stopped => StatusCode::UNAVAILABLE,
            Self::Handshake(_) => StatusCode::UNAUTHORIZED,
            Self::Protocol(_) | Self::Decode(_) | Self::Encode(_) => StatusCode::INTERNAL_ERROR,
        }
    }
}

/// The outcome of querying one miner.
#[derive(Debug, Clone)]
pub struct QueryResult<R> {
    /// The miner queried.
    pub peer: Peer,
    /// Wall time from the call to the answer (or failure), as the validator saw it.
    pub latency: Duration,
    /// Time the miner reports it spent, when it answered.
    pub process_time: Option<Duration>,
    /// The typed response, or why there is none.
    pub outcome: Result<R, QueryError>,
}

impl<R> QueryResult<R> {
    /// 200 on success, else [`QueryError::status`].
    pub fn status(&self) -> StatusCode {
        match &self.outcome {
            Ok(_) => StatusCode::OK,
            Err(e) => e.status(),
        }
    }

    /// The response, if any.
    pub fn response(&self) -> Option<&R> {
        self.outcome.as_ref().ok()
    }
}
