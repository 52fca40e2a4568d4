//! Synapses several test files need beyond the examples' `Echo` and `Words`.

use axonite::{Admission, Handler, HandlerError, RequestContext, Synapse};
use serde::{Deserialize, Serialize};

/// A synapse with its own request size limit of 1 KiB, under the miner's: larger bodies are
/// refused 413.
#[derive(Debug, Serialize, Deserialize)]
pub struct Small {
    /// The bytes whose count the handler answers.
    #[serde(with = "serde_bytes")]
    pub data: Vec<u8>,
}

impl Synapse for Small {
    const NAME: &'static str = "Small";
    type Response = u64;
    const MAX_REQUEST_BYTES: Option<usize> = Some(1024);
}

/// Answers a [`Small`] request with the length of its data.
pub struct SmallMiner;

impl Admission<Small> for SmallMiner {}

impl Handler<Small> for SmallMiner {
    async fn forward(&self, _: &RequestContext, req: Small) -> Result<u64, HandlerError> {
        Ok(req.data.len() as u64)
    }
}
