//! What can go wrong talking to the chain.

use std::fmt;

/// Why a chain read or write failed.
///
/// Messages name what went wrong and where; they never contain key material, and the chain
/// URL is replaced by `<url>` wherever a lower layer echoed it (it may carry credentials).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// The URL is not a `ws://` or `wss://` URL, or uses plain `ws://` to a host that is not
    /// loopback without [`ChainOptions::allow_insecure`](super::ChainOptions::allow_insecure).
    #[error("invalid chain URL: {reason}")]
    InvalidUrl {
        /// What is wrong with it.
        reason: String,
    },
    /// The node could not be reached, or did not answer the first requests in time.
    #[error("cannot connect to the chain: {reason}")]
    Connect {
        /// What failed.
        reason: String,
    },
    /// A request to a connected node failed (connection lost, RPC error).
    #[error("chain request failed: {reason}")]
    Rpc {
        /// What failed.
        reason: String,
    },
    /// A value read from the chain does not have the expected shape.
    #[error("cannot decode {what}: {reason}")]
    Decode {
        /// The storage item, event or call concerned.
        what: String,
        /// What did not match.
        reason: String,
    },
    /// Something that must exist does not: a subnet, or a storage item or call this runtime
    /// lacks.
    #[error("{what} not found")]
    NotFound {
        /// What is missing.
        what: String,
    },
    /// An argument was refused before anything was sent.
    #[error("invalid argument: {reason}")]
    InvalidArgument {
        /// What is wrong.
        reason: String,
    },
    /// The node refused the transaction before it reached a block (invalid, for example a
    /// stale nonce, a failed pre-dispatch check or a subtensor "custom error"; or dropped).
    #[error("transaction rejected: {reason}")]
    Rejected {
        /// The node's reason.
        reason: String,
    },
    /// The transaction was included in a block but its dispatch failed.
    #[error("transaction failed: {module}::{error}")]
    Dispatch {
        /// The pallet that raised the error (`SubtensorModule`), or the class of a non-pallet
        /// error (`DispatchError`, `Token`, `Arithmetic`, `Transactional`).
        module: String,
        /// The error's name (`SettingWeightsTooFast`, `BadOrigin`, ...).
        error: String,
    },
    /// No answer within the configured time.
    #[error("timed out after {seconds} s waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: &'static str,
        /// How long we waited.
        seconds: u64,
    },
}

impl ChainError {
    pub(crate) fn decode(what: impl Into<String>, reason: impl fmt::Display) -> Self {
        Self::Decode {
            what: what.into(),
            reason: reason.to_string(),
        }
    }

    pub(crate) fn rpc(reason: impl fmt::Display) -> Self {
        Self::Rpc {
            reason: reason.to_string(),
        }
    }

    pub(crate) fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound { what: what.into() }
    }

    /// Whether retrying the same operation later may succeed: the connection or node failed,
    /// or it did not answer in time. Decoding errors, dispatch failures and rejections are
    /// not transient.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Connect { .. } | Self::Rpc { .. } | Self::Timeout { .. }
        )
    }
}

/// Why an included extrinsic failed: a `DispatchError` decoded to names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatchFailure {
    /// The pallet that raised it (`SubtensorModule`), or the class of a non-pallet error
    /// (`DispatchError`, `Token`, `Arithmetic`, `Transactional`).
    pub module: String,
    /// The error's name (`SettingWeightsTooFast`, `BadOrigin`, ...).
    pub error: String,
}

impl fmt::Display for DispatchFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}::{}", self.module, self.error)
    }
}

impl From<DispatchFailure> for ChainError {
    fn from(failure: DispatchFailure) -> Self {
        ChainError::Dispatch {
            module: failure.module,
            error: failure.error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispatch_errors_read_as_pallet_and_name() {
        let failure = DispatchFailure {
            module: "SubtensorModule".into(),
            error: "SettingWeightsTooFast".into(),
        };
        assert_eq!(
            failure.to_string(),
            "SubtensorModule::SettingWeightsTooFast"
        );
        let err = ChainError::from(failure);
        assert_eq!(
            err.to_string(),
            "transaction failed: SubtensorModule::SettingWeightsTooFast"
        );
        assert!(!err.is_transient());
    }

    #[test]
    fn connection_problems_are_transient() {
        assert!(ChainError::rpc("connection reset").is_transient());
        assert!(
            ChainError::Timeout {
                what: "finalization",
                seconds: 60
            }
            .is_transient()
        );
        assert!(!ChainError::not_found("subnet 3").is_transient());
    }
}
