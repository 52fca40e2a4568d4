//! Why a handshake was refused.

use crate::identity::Hotkey;

/// Why a handshake was refused. The text is safe to send to the peer as a close reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// The peer speaks another protocol version.
    #[error("unsupported protocol version {got}")]
    UnsupportedVersion {
        /// Version the peer sent.
        got: u16,
    },
    /// The validator is talking about another subnet.
    #[error("wrong netuid {got}, this miner serves netuid {expected}")]
    WrongNetuid {
        /// Netuid this miner serves.
        expected: u16,
        /// Netuid in the request.
        got: u16,
    },
    /// The request names another miner as its receiver.
    #[error("handshake is addressed to {got}, not to this miner")]
    WrongReceiver {
        /// The receiver the request names.
        got: Hotkey,
    },
    /// The timestamp is older than the freshness window.
    #[error("stale handshake: signed {age_ms} ms ago")]
    Stale {
        /// How old the timestamp is.
        age_ms: u64,
    },
    /// The timestamp is further in the future than the allowed clock skew.
    #[error("handshake timestamp is {ahead_ms} ms in the future")]
    FromTheFuture {
        /// How far ahead the timestamp is.
        ahead_ms: u64,
    },
    /// The signature does not verify for this session, these fields and this key.
    #[error("invalid handshake signature")]
    BadSignature,
    /// This (hotkey, nonce) pair was already accepted within the freshness window.
    #[error("replayed handshake")]
    Replayed,
    /// The replay window is full of unexpired entries; refusing rather than forgetting.
    #[error("too many recent handshakes, try again shortly")]
    ReplayWindowFull,
    /// The validator's admission policy refused this hotkey (not registered, no permit, ...).
    #[error("validator {hotkey} is not admitted: {reason}")]
    NotAdmitted {
        /// The refused validator.
        hotkey: Hotkey,
        /// Why, from the admission policy.
        reason: String,
    },
    /// The miner that answered is not the one the validator dialled.
    #[error("expected miner {expected}, but {got} answered")]
    UnexpectedMiner {
        /// The hotkey the validator dialled.
        expected: Hotkey,
        /// The hotkey in the response.
        got: Hotkey,
    },
}
