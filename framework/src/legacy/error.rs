//! Why a legacy (bittensor 10.x) request was refused, and the status the axon answers with.

use crate::protocol::StatusCode;

/// Why a legacy request was refused. The text is safe to return to the caller: it names the
/// problem and never echoes a peer's value or any secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LegacyError {
    /// The URL path is not `/<SynapseName>` with a valid name.
    #[error("invalid request path: expected /<SynapseName>")]
    InvalidPath,
    /// No synapse of that name is served here.
    #[error("unknown synapse")]
    UnknownSynapse,
    /// More headers than the limit.
    #[error("too many headers (limit {limit})")]
    TooManyHeaders {
        /// The configured maximum count.
        limit: usize,
    },
    /// A header name or value, or all headers together, exceed the limits.
    #[error("headers too large (limit {limit} bytes)")]
    HeadersTooLarge {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// A header that must appear at most once appeared twice.
    #[error("duplicate header {name}")]
    DuplicateHeader {
        /// The header name.
        name: &'static str,
    },
    /// A header is present but its value does not parse.
    #[error("invalid header {name}: {reason}")]
    InvalidHeader {
        /// The header name.
        name: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A header needed to authenticate the request is missing.
    #[error("missing header {name}")]
    MissingAuthHeader {
        /// The header name.
        name: &'static str,
    },
    /// The dendrite hotkey is not an SS58 address of a 32-byte key.
    #[error("invalid dendrite hotkey")]
    InvalidHotkey,
    /// The signature is not 64 bytes of hex.
    #[error("invalid signature encoding")]
    InvalidSignatureEncoding,
    /// The signature does not verify for this message, this dendrite key and this axon.
    #[error("signature does not verify")]
    BadSignature,
    /// The nonce is older than the freshness window.
    #[error("stale request: nonce is {age_ms} ms old")]
    Stale {
        /// How old the nonce is.
        age_ms: u64,
    },
    /// The nonce is further in the future than the allowed clock skew.
    #[error("nonce is {ahead_ms} ms in the future")]
    FromTheFuture {
        /// How far ahead the nonce is.
        ahead_ms: u64,
    },
    /// The nonce was already accepted from this (hotkey, uuid): a replay.
    #[error("nonce already used: a replayed request")]
    Replayed,
    /// The nonce table is full of entries still inside the window; refusing, not forgetting.
    #[error("too many recent requests to remember, try again shortly")]
    NonceTableFull,
    /// The body is not a JSON object.
    #[error("invalid body: {reason}")]
    InvalidBody {
        /// What is wrong (from the JSON parser, without the body).
        reason: String,
    },
    /// A field listed in the synapse's `required_hash_fields` is absent from the body.
    #[error("body lacks hashed field {field}")]
    MissingHashField {
        /// The field name (from the synapse definition, not from the peer).
        field: String,
    },
    /// The body does not hash to the `computed_body_hash` the dendrite signed.
    #[error("body hash does not match computed_body_hash")]
    BodyHashMismatch,
}

impl LegacyError {
    /// The HTTP status the axon answers with, in bittensor's meanings; a body-hash mismatch
    /// is 400 (the SDK answers 500).
    pub fn status(&self) -> StatusCode {
        match self {
            LegacyError::UnknownSynapse => StatusCode::NOT_FOUND,
            LegacyError::MissingAuthHeader { .. }
            | LegacyError::InvalidHotkey
            | LegacyError::InvalidSignatureEncoding
            | LegacyError::BadSignature
            | LegacyError::Stale { .. }
            | LegacyError::FromTheFuture { .. }
            | LegacyError::Replayed => StatusCode::UNAUTHORIZED,
            LegacyError::NonceTableFull => StatusCode::UNAVAILABLE,
            LegacyError::InvalidPath
            | LegacyError::TooManyHeaders { .. }
            | LegacyError::HeadersTooLarge { .. }
            | LegacyError::DuplicateHeader { .. }
            | LegacyError::InvalidHeader { .. }
            | LegacyError::InvalidBody { .. }
            | LegacyError::MissingHashField { .. }
            | LegacyError::BodyHashMismatch => StatusCode::BAD_REQUEST,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_the_sdk_statuses_with_a_400_for_a_hash_mismatch() {
        assert_eq!(LegacyError::UnknownSynapse.status(), StatusCode(404));
        assert_eq!(LegacyError::BadSignature.status(), StatusCode(401));
        assert_eq!(LegacyError::Replayed.status(), StatusCode(401));
        assert_eq!(LegacyError::Stale { age_ms: 9 }.status(), StatusCode(401));
        assert_eq!(LegacyError::BodyHashMismatch.status(), StatusCode(400));
        assert_eq!(LegacyError::InvalidPath.status(), StatusCode(400));
        assert_eq!(LegacyError::NonceTableFull.status(), StatusCode(503));
    }
}
