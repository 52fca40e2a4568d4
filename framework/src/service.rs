//! Type erasure between typed handlers and the runtime.
//!
//! The runtime holds one [`Service`] per synapse name and knows nothing of the user's types.
//! [`Service::admit`] decodes the body, runs the admission hooks and returns the handler's
//! work as a future that has not started yet, so the runtime can queue it by priority and
//! run it in a supervised worker under the request's deadline.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc;

use crate::handler::{Admission, Blacklist, Handler, HandlerError, RequestContext, StreamHandler};
use crate::protocol::StatusCode;
use crate::protocol::codec::{decode_body, encode_body};
use crate::synapse::{StreamingSynapse, Synapse};

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A request refused or failed with a status; the message goes to the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The status sent back.
    pub status: StatusCode,
    /// The detail sent back.
    pub message: String,
}

impl Refusal {
    /// A refusal with `status` and `message`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

impl From<HandlerError> for Refusal {
    fn from(e: HandlerError) -> Self {
        Self::new(StatusCode::INTERNAL_ERROR, e.message())
    }
}

/// Whether a synapse answers once or with a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceKind {
    /// One response frame.
    Unary,
    /// Chunk frames then an end frame.
    Streaming,
}

/// The handler's work for one admitted request, not yet started.
pub enum Work {
    /// Resolves to the encoded response body.
    Unary(BoxFuture<'static, Result<Vec<u8>, Refusal>>),
    /// Runs the stream handler; encoded chunks arrive on `chunks` while it runs.
    Streaming {
        /// The handler run; resolves when the handler returns.
        run: BoxFuture<'static, Result<(), Refusal>>,
        /// Encoded chunks, in order. Closed when the handler finishes or is dropped.
        chunks: mpsc::Receiver<Vec<u8>>,
    },
}

impl std::fmt::Debug for Work {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Unary(_) => "Work::Unary",
            Self::Streaming { .. } => "Work::Streaming",
        })
    }
}

/// A request that passed decoding, verify and blacklist.
#[derive(Debug)]
pub struct Admitted {
    /// From the handler's priority hook; higher runs first.
    pub priority: f64,
    /// What remains to run.
    pub work: Work,
}

/// One synapse as the runtime sees it.
pub trait Service: Send + Sync + 'static {
    /// The synapse name.
    fn name(&self) -> &'static str;
    /// Unary or streaming.
    fn kind(&self) -> ServiceKind;
    /// The synapse's default timeout (used when the caller sends none).
    fn timeout(&self) -> Duration;
    /// The synapse's own request size limit, if any.
    fn max_request_bytes(&self) -> Option<usize>;
    /// Decodes `body` (400), runs verify (401) and blacklist (403), computes the priority and
    /// prepares the handler's work.
    fn admit(
        &self,
        ctx: RequestContext,
        body: &[u8],
        max_depth: usize,
    ) -> BoxFuture<'static, Result<Admitted, Refusal>>;
}

/// Wraps a unary handler for synapse `S`.
pub fn unary<S: Synapse, H: Handler<S>>(handler: Arc<H>) -> Arc<dyn Service> {
    Arc::new(UnaryService::<S, H> {
        handler,
        _s: PhantomData,
    })
}

/// Wraps a streaming handler for synapse `S`.
pub fn streaming<S: StreamingSynapse, H: StreamHandler<S>>(
    handler: Arc<H>,
    chunk_buffer: usize,
) -> Arc<dyn Service> {
    Arc::new(StreamingService::<S, H> {
        handler,
        chunk_buffer: chunk_buffer.max(1),
        _s: PhantomData,
    })
}

// === impl UnaryService ===

struct UnaryService<S, H> {
    handler: Arc<H>,
    _s: PhantomData<fn() -> S>,
}

impl<S: Synapse, H: Handler<S>> Service for UnaryService<S, H> {
    fn name(&self) -> &'static str {
        S::NAME
    }

    fn kind(&self) -> ServiceKind {
        ServiceKind::Unary
    }

    fn timeout(&self) -> Duration {
        S::TIMEOUT
    }

    fn max_request_bytes(&self) -> Option<usize> {
        S::MAX_REQUEST_BYTES
    }

    fn admit(
        &self,
        ctx: RequestContext,
        body: &[u8],
        max_depth: usize,
    ) -> BoxFuture<'static, Result<Admitted, Refusal>> {
        let decoded = decode_request::<S>(body, max_depth);
        let handler = self.handler.clone();
        Box::pin(async move {
            let request = decoded?;
            let priority = admit(&*handler, &ctx, &request).await?;
            let work = Work::Unary(Box::pin(async move {
                let response = handler.forward(&ctx, request).await?;
                encode_body(&response)
                    .map_err(|e| Refusal::new(StatusCode::INTERNAL_ERROR, e.to_string()))
            }));
            Ok(Admitted { priority, work })
        })
    }
}

// === impl StreamingService ===

struct StreamingService<S, H> {
    handler: Arc<H>,
    chunk_buffer: usize,
    _s: PhantomData<fn() -> S>,
}

impl<S: StreamingSynapse, H: StreamHandler<S>> Service for StreamingService<S, H> {
    fn name(&self) -> &'static str {
        S::NAME
    }

    fn kind(&self) -> ServiceKind {
        ServiceKind::Streaming
    }

    fn timeout(&self) -> Duration {
        S::TIMEOUT
    }

    fn max_request_bytes(&self) -> Option<usize> {
        S::MAX_REQUEST_BYTES
    }

    fn admit(
        &self,
        ctx: RequestContext,
        body: &[u8],
        max_depth: usize,
    ) -> BoxFuture<'static, Result<Admitted, Refusal>> {
        let decoded = decode_request::<S>(body, max_depth);
        let handler = self.handler.clone();
        let buffer = self.chunk_buffer;
        Box::pin(async move {
            let request = decoded?;
            let priority = admit(&*handler, &ctx, &request).await?;
            let (tx, chunks) = mpsc::channel(buffer);
            let sink = ChunkSink {
                tx,
                _t: PhantomData,
            };
            let run = Box::pin(async move {
                handler
                    .forward(&ctx, request, sink)
                    .await
                    .map_err(Refusal::from)
            });
            Ok(Admitted {
                priority,
                work: Work::Streaming { run, chunks },
            })
        })
    }
}

fn decode_request<S: serde::de::DeserializeOwned>(
    body: &[u8],
    max_depth: usize,
) -> Result<S, Refusal> {
    decode_body::<S>(body, max_depth)
        .map_err(|e| Refusal::new(StatusCode::BAD_REQUEST, e.to_string()))
}

/// verify (401), then blacklist (403), then priority.
pub(crate) async fn admit<R: Send + Sync, A: Admission<R>>(
    hooks: &A,
    ctx: &RequestContext,
    request: &R,
) -> Result<f64, Refusal> {
    hooks
        .verify(ctx, request)
        .await
        .map_err(|m| Refusal::new(StatusCode::UNAUTHORIZED, m))?;
    if let Blacklist::Deny(reason) = hooks.blacklist(ctx, request).await {
        return Err(Refusal::new(StatusCode::FORBIDDEN, reason));
    }
    let priority = hooks.priority(ctx, request);
    Ok(if priority.is_nan() { 0.0 } else { priority })
}

// === impl ChunkSink ===

/// Where a stream handler sends its chunks. Sending waits when the caller reads slowly
/// (bounded buffer), so a slow validator cannot make the miner buffer without limit.
#[derive(Debug)]
pub struct ChunkSink<T> {
    tx: mpsc::Sender<Vec<u8>>,
    _t: PhantomData<fn(T)>,
}

/// Why a chunk could not be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SinkError {
    /// The stream is gone (caller left, deadline passed); stop producing.
    #[error("stream closed")]
    Closed,
    /// The chunk could not be encoded.
    #[error("cannot encode chunk: {0}")]
    Encode(String),
}

impl<T: Serialize> ChunkSink<T> {
    /// Sends one chunk, waiting for buffer space.
    pub async fn send(&self, chunk: &T) -> Result<(), SinkError> {
        let bytes = encode_body(chunk).map_err(|e| SinkError::Encode(e.to_string()))?;
        self.tx.send(bytes).await.map_err(|_| SinkError::Closed)
    }

    /// True once the receiving side is gone.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

impl From<SinkError> for HandlerError {
    fn from(e: SinkError) -> Self {
        HandlerError::new(e.to_string())
    }
}
