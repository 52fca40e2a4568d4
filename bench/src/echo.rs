//! The benchmark's synapse: echo bytes back, nothing else, so every peer does the same work.

use axonite::{Admission, Handler, HandlerError, RequestContext, Synapse};
use serde::{Deserialize, Serialize};

/// Send `payload` and get it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BenchEcho {
    /// The bytes to echo.
    #[serde(with = "serde_bytes")]
    pub payload: Vec<u8>,
}

impl Synapse for BenchEcho {
    const NAME: &'static str = "BenchEcho";
    type Response = BenchEcho;
}

/// A handler that returns the request as the response.
#[derive(Debug, Clone, Copy, Default)]
pub struct EchoHandler;

impl Admission<BenchEcho> for EchoHandler {}

impl Handler<BenchEcho> for EchoHandler {
    async fn forward(
        &self,
        _ctx: &RequestContext,
        request: BenchEcho,
    ) -> Result<BenchEcho, HandlerError> {
        Ok(request)
    }
}
