//! Writing answers on a request stream: a unary response (held until acknowledged when it
//! is large, or when the validator may be disconnected next), or the end of a streaming
//! response, each within a time limit past which the stream is reset.

use std::borrow::Cow;
use std::time::Duration;

use axonite::protocol::codec::encode_frame;
use axonite::protocol::{FrameType, ResponseHead, StatusCode, StreamEnd};
use axonite::service::Refusal;
use axonite::transport::{write_frame, write_head_and_payload};
use tokio::time::Instant;

use super::request::micros_since;

/// Application error code of a stream reset because the validator stopped reading.
pub(super) const WRITE_TIMED_OUT: u32 = 2;

/// Writes a unary response and waits for its delivery within `limit`. A validator that stops
/// reading cannot hold the stream, or the bytes buffered for it, forever: on timeout the
/// stream is reset, which frees them (dropping a quinn send stream would finish it and keep
/// the bytes queued).
pub(super) async fn respond(
    send: &mut quinn::SendStream,
    received: Instant,
    result: Result<Vec<u8>, Refusal>,
    limit: Duration,
    delivery: Delivery,
) {
    let write = write_response(send, received, result, delivery);
    if tokio::time::timeout(limit, write).await.is_err() {
        cut_off(send);
    }
}

pub(super) fn cut_off(send: &mut quinn::SendStream) {
    tracing::debug!("response write timed out: validator not reading; stream reset");
    let _ = send.reset(WRITE_TIMED_OUT.into());
}

/// When a response's task waits for the validator to acknowledge it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Delivery {
    /// Only above [`WAIT_FOR_DELIVERY_ABOVE`] bytes.
    IfLarge,
    /// Always (the caller may close the connection next).
    Always,
}

async fn write_response(
    send: &mut quinn::SendStream,
    received: Instant,
    result: Result<Vec<u8>, Refusal>,
    delivery: Delivery,
) {
    let (status, message, body) = match result {
        Ok(body) => (StatusCode::OK, Cow::Borrowed(""), Some(body)),
        Err(r) => (r.status, Cow::Owned(r.message), None),
    };
    let head = ResponseHead {
        status: status.0,
        message,
        process_time_us: micros_since(received),
    };
    let Ok(frame) = encode_frame(FrameType::ResponseHead, &head) else {
        return;
    };
    let len = frame.len() + body.as_ref().map_or(0, Vec::len);
    // Head and body in one write: they leave together.
    let written = match body {
        Some(body) => write_head_and_payload(send, frame, FrameType::Body, body.into()).await,
        None => write_frame(send, &frame).await,
    };
    if written.is_err() {
        return;
    }
    if delivery == Delivery::Always || len > WAIT_FOR_DELIVERY_ABOVE {
        finish_delivered(send).await;
    } else {
        let _ = send.finish();
    }
}

/// Responses larger than this are held until the validator acknowledged them. A write
/// completes only within the validator's flow-control credit, so a validator that does not
/// read blocks the write itself (reset at the write timeout); what a completed write leaves
/// queued is bounded by quinn's per-connection send window either way. Waiting for the
/// acknowledgement costs a task wake-up per request: worth it only for large bodies.
const WAIT_FOR_DELIVERY_ABOVE: usize = 64 * 1024;

/// Finishes the stream and waits until the validator acknowledged every byte (under the
/// caller's time limit), so that what was buffered for a validator that stopped
/// acknowledging is freed by the reset instead of staying queued.
async fn finish_delivered(send: &mut quinn::SendStream) {
    if send.finish().is_ok() {
        let _ = send.stopped().await;
    }
}

/// Writes the end of a stream within `limit` (reset on timeout, as [`respond`]).
pub(super) async fn end_stream(
    send: &mut quinn::SendStream,
    received: Instant,
    result: Result<Vec<u8>, Refusal>,
    chunks: u64,
    limit: Duration,
) {
    let write = write_stream_end(send, received, result, chunks);
    if tokio::time::timeout(limit, write).await.is_err() {
        cut_off(send);
    }
}

async fn write_stream_end(
    send: &mut quinn::SendStream,
    received: Instant,
    result: Result<Vec<u8>, Refusal>,
    chunks: u64,
) {
    let (status, message) = match result {
        Ok(_) => (StatusCode::OK, Cow::Borrowed("")),
        Err(r) => (r.status, Cow::Owned(r.message)),
    };
    let end = StreamEnd {
        status: status.0,
        message,
        process_time_us: micros_since(received),
        chunks,
    };
    if let Ok(frame) = encode_frame(FrameType::StreamEnd, &end)
        && write_frame(send, &frame).await.is_ok()
    {
        finish_delivered(send).await;
    }
}
