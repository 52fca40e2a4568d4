//! The protocol of {{project-name}}: the synapses its validators send and its miners answer.
//!
//! Both sides depend on this crate, so a change here is a change of the subnet's wire
//! format: add fields with `#[serde(default)]` to stay compatible with miners and validators
//! that have not upgraded yet, and rename a synapse's `NAME` only for a breaking change.
//!
//! Where the subnet's logic goes:
//! - **what is asked and answered**: here, one request type per synapse and its response;
//! - **how miners answer**: `miner/src/handler.rs` (`forward`, and the `verify`,
//!   `blacklist` and `priority` hooks that decide whether and how urgently a request runs);
//! - **what validators ask and how they score**: `validator/src/challenge.rs` and
//!   `validator/src/score.rs`; the query loop in `validator/src/lib.rs` calls them.
//!
//! The example task: reverse the prompt. A real subnet puts its work (inference, storage
//! proofs, predictions) in place of it.

use axonite::Synapse;
use axonite::legacy::LegacySynapse;
use serde::{Deserialize, Serialize};

/// The subnet's netuid: the default of `--netuid` in the miner and the validator.
pub const NETUID: u16 = {{netuid}};

/// The longest prompt a miner accepts, in bytes. Validators send shorter ones.
pub const MAX_PROMPT_BYTES: usize = 4096;

/// A validator's question to a miner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    /// The text to work on.
    pub prompt: String,
}

/// A miner's answer to a [`Challenge`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// The result: the prompt reversed, character by character.
    pub text: String,
}

impl Synapse for Challenge {
    const NAME: &'static str = "Challenge";
    type Response = Answer;
}

/// How validators still on the bittensor Python SDK send a [`Challenge`] (a miner started
/// with `--axon.legacy_http` answers them over HTTP). Their synapse class:
///
/// ```python
/// class Challenge(bt.Synapse):
///     required_hash_fields: ClassVar[tuple[str, ...]] = ("prompt",)
///     prompt: str
///     text: Optional[str] = None  # the Answer
/// ```
impl LegacySynapse for Challenge {
    const REQUIRED_HASH_FIELDS: &'static [&'static str] = &["prompt"];
}
