//! The traits a subnet implements on the miner side.
//!
//! Each request passes a short pipeline of named steps, in this order: decode (400),
//! [`Admission::verify`] (401), [`Admission::blacklist`] (403), rate limits (429),
//! [`Admission::priority`] decides its place in the handler pool's queue (503 when shed),
//! then [`Handler::forward`] runs under the request's deadline (408) with errors (500)
//! contained.
//!
//! ```
//! use axonite::{Admission, Handler, HandlerError, RequestContext, Synapse};
//! # use serde::{Deserialize, Serialize};
//! # #[derive(Serialize, Deserialize)] struct Echo { text: String }
//! # #[derive(Serialize, Deserialize)] struct EchoReply { text: String }
//! # impl Synapse for Echo { const NAME: &'static str = "Echo"; type Response = EchoReply; }
//! struct EchoMiner;
//!
//! impl Handler<Echo> for EchoMiner {
//!     async fn forward(&self, _ctx: &RequestContext, req: Echo) -> Result<EchoReply, HandlerError> {
//!         Ok(EchoReply { text: req.text })
//!     }
//! }
//! // Defaults: verify accepts, blacklist allows, priority = caller stake.
//! impl Admission<Echo> for EchoMiner {}
//! ```

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use crate::identity::Hotkey;
use crate::synapse::{StreamingSynapse, Synapse};

/// Who is calling: the authenticated validator behind a connection.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    /// The validator's hotkey, proven by the handshake.
    pub hotkey: Hotkey,
    /// The validator's address as seen by the miner.
    pub addr: SocketAddr,
    /// The validator's uid on the subnet, when a metagraph is known.
    pub uid: Option<u16>,
    /// The validator's stake (TAO or alpha, as the metagraph reports), 0 when unknown.
    pub stake: f64,
    /// Whether the validator holds a validator permit; false when unknown.
    pub validator_permit: bool,
}

/// Everything a handler learns about one request besides its body.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The authenticated caller (shared by all requests of one connection).
    pub caller: Arc<Caller>,
    /// The synapse name.
    pub synapse: &'static str,
    /// The caller's request id.
    pub request_id: u64,
    /// When the request arrived.
    pub received_at: Instant,
    /// When the caller stops waiting; the handler is cancelled then.
    pub deadline: Instant,
}

/// A handler failure. The message is sent to the caller with status 500, so it must not
/// carry secrets or internals; log the details yourself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerError {
    message: String,
}

impl HandlerError {
    /// An error whose message the caller will see.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// The message the caller sees.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HandlerError {}

/// The answer of a blacklist hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blacklist {
    /// Serve the request.
    Allow,
    /// Refuse it with 403 and this reason.
    Deny(String),
}

/// Hooks that decide whether and how urgently a request is admitted, run before the request
/// is queued. All have defaults; implement the trait with an empty body to keep them.
///
/// Keep them cheap: for requests on a lane they run on the lane's reader, one request after
/// another, as long as they finish without waiting. A hook that has heavy work to do should
/// await it (`tokio::task::spawn_blocking`, say): a hook that waits is moved to a task of
/// its own, and the requests behind it go on.
pub trait Admission<Req: Send + Sync>: Send + Sync + 'static {
    /// Checks the request itself (signatures inside the body, proofs, ...). An `Err` refuses
    /// it with 401 and the given message.
    fn verify(
        &self,
        ctx: &RequestContext,
        request: &Req,
    ) -> impl Future<Output = Result<(), String>> + Send {
        let _ = (ctx, request);
        async { Ok(()) }
    }

    /// Decides whether the caller may be served at all (403 when denied).
    fn blacklist(
        &self,
        ctx: &RequestContext,
        request: &Req,
    ) -> impl Future<Output = Blacklist> + Send {
        let _ = (ctx, request);
        async { Blacklist::Allow }
    }

    /// Higher runs first when the handler pool is busy, and lower is shed first when its
    /// queue is full. Defaults to the caller's stake.
    fn priority(&self, ctx: &RequestContext, request: &Req) -> f64 {
        let _ = request;
        ctx.caller.stake
    }
}

/// Answers one synapse with one response.
pub trait Handler<S: Synapse>: Admission<S> {
    /// Produces the response. Runs in a supervised handler pool: a panic here answers 500,
    /// the worker is restarted and later requests are served.
    ///
    /// When one of the pool's workers is idle, a request is started where it was read (on
    /// its lane's reader, or its stream's task), in that worker's turn, and answered there if
    /// `forward` finishes without waiting; that saves a wake-up per request. So await heavy
    /// work (`tokio::task::spawn_blocking`, a model server) rather than computing it before
    /// the first `.await`: then the request moves on to the worker and a lane goes on
    /// reading.
    fn forward(
        &self,
        ctx: &RequestContext,
        request: S,
    ) -> impl Future<Output = Result<S::Response, HandlerError>> + Send;
}

/// Answers one streaming synapse with a sequence of chunks.
pub trait StreamHandler<S: StreamingSynapse>: Admission<S> {
    /// Sends chunks through `sink` and returns when the stream is complete. Returning an error
    /// ends the stream with status 500 after the chunks already sent.
    fn forward(
        &self,
        ctx: &RequestContext,
        request: S,
        sink: crate::service::ChunkSink<S::Chunk>,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send;
}
