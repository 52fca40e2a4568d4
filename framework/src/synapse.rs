//! Typed synapses: the request and response types of a subnet.
//!
//! A synapse is a serde type with a wire name, a response type and a default timeout, the
//! typed counterpart of bittensor's `Synapse` pydantic model:
//!
//! ```
//! use axonite::Synapse;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Debug, Serialize, Deserialize)]
//! struct Echo { text: String }
//!
//! #[derive(Debug, Serialize, Deserialize, PartialEq)]
//! struct EchoReply { text: String }
//!
//! impl Synapse for Echo {
//!     const NAME: &'static str = "Echo";
//!     type Response = EchoReply;
//! }
//! assert_eq!(Echo::TIMEOUT.as_secs(), 12);
//! ```

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Default request timeout, as in the bittensor SDK.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(12);

/// A request/response pair with a wire name.
pub trait Synapse: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The name on the wire; selects the handler on the miner. Must be unique per miner.
    const NAME: &'static str;
    /// What the miner answers.
    type Response: Serialize + DeserializeOwned + Send + Sync + 'static;
    /// How long a validator waits by default, and the deadline a miner applies.
    const TIMEOUT: Duration = DEFAULT_TIMEOUT;
    /// Largest encoded request the miner reads for this synapse, if lower than the miner's
    /// global frame limit. A larger request is refused with 413 before its body is read.
    const MAX_REQUEST_BYTES: Option<usize> = None;
}

/// A request answered by a stream of chunks (for example tokens of a generation).
pub trait StreamingSynapse: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The name on the wire; selects the handler on the miner.
    const NAME: &'static str;
    /// One item of the response stream.
    type Chunk: Serialize + DeserializeOwned + Send + Sync + 'static;
    /// How long the whole stream may take.
    const TIMEOUT: Duration = DEFAULT_TIMEOUT;
    /// Largest encoded request the miner reads for this synapse (see [`Synapse`]).
    const MAX_REQUEST_BYTES: Option<usize> = None;
}
