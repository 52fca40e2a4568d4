//! The echo subnet: the smallest complete Axonite subnet.

use axonite::{
    Admission, ChunkSink, Handler, HandlerError, RequestContext, StreamHandler, StreamingSynapse,
    Synapse,
};
use serde::{Deserialize, Serialize};

/// Ask a miner to send `payload` back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Echo {
    /// Arbitrary bytes to echo.
    #[serde(with = "serde_bytes")]
    pub payload: Vec<u8>,
}

/// The miner's answer to [`Echo`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EchoReply {
    /// The bytes received.
    #[serde(with = "serde_bytes")]
    pub payload: Vec<u8>,
    /// The hotkey of the validator that asked, as the miner saw it (SS58).
    pub caller: String,
}

impl Synapse for Echo {
    const NAME: &'static str = "Echo";
    type Response = EchoReply;
}

/// Ask a miner to stream back the words of `text`, one chunk per word.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Words {
    /// Text to split.
    pub text: String,
}

impl StreamingSynapse for Words {
    const NAME: &'static str = "Words";
    type Chunk = String;
}

/// A miner that echoes.
#[derive(Debug, Clone, Default)]
pub struct EchoMiner;

impl Admission<Echo> for EchoMiner {}

impl Handler<Echo> for EchoMiner {
    async fn forward(
        &self,
        ctx: &RequestContext,
        request: Echo,
    ) -> Result<EchoReply, HandlerError> {
        Ok(EchoReply {
            payload: request.payload,
            caller: ctx.caller.hotkey.to_ss58(),
        })
    }
}

impl Admission<Words> for EchoMiner {}

impl StreamHandler<Words> for EchoMiner {
    async fn forward(
        &self,
        _ctx: &RequestContext,
        request: Words,
        sink: ChunkSink<String>,
    ) -> Result<(), HandlerError> {
        for word in request.text.split_whitespace() {
            sink.send(&word.to_owned()).await?;
        }
        Ok(())
    }
}
