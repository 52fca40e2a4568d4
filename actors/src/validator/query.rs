//! One request/response exchange on its own stream.

use std::borrow::Cow;
use std::time::Duration;

use axonite::StatusCode;
use axonite::protocol::codec::{decode_body, decode_envelope, encode_frame};
use axonite::protocol::{FrameError, FrameType, Limits, RequestHead, ResponseHead, StreamEnd};
use axonite::transport::{FrameReader, ReadFrameError, write_head_and_payload};
use bytes::Bytes;
use serde::de::DeserializeOwned;

use super::QueryError;
use super::lane::LaneAnswer;

pub(crate) fn read_error(e: ReadFrameError) -> QueryError {
    match e {
        ReadFrameError::Stream(msg) => QueryError::Connection(msg),
        ReadFrameError::Frame(FrameError::TooLarge { len, limit }) => QueryError::Protocol(
            format!("response of {len} bytes exceeds the limit of {limit} bytes"),
        ),
        other => QueryError::Protocol(other.to_string()),
    }
}

/// A broken stream says only "connection lost"; when the miner closed the connection, say
/// why (for example that the validator's admission was revoked).
pub(crate) fn with_close_reason(conn: &quinn::Connection, e: QueryError) -> QueryError {
    match (e, conn.close_reason()) {
        (QueryError::Connection(_), Some(reason)) => QueryError::Connection(reason.to_string()),
        (e, _) => e,
    }
}

/// Opens a stream and sends a request head and body; the response is read from the
/// returned reader.
pub(crate) async fn send_request(
    conn: &quinn::Connection,
    synapse: &str,
    request_id: u64,
    timeout: Duration,
    body: &Bytes,
) -> Result<(quinn::SendStream, FrameReader), QueryError> {
    let (mut send, recv) = conn
        .open_bi()
        .await
        .map_err(|e| QueryError::Connection(e.to_string()))?;
    let head = RequestHead {
        synapse: Cow::Borrowed(synapse),
        request_id,
        timeout_ms: u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX),
    };
    let frame = encode_frame(FrameType::RequestHead, &head)
        .map_err(|e| QueryError::Encode(e.to_string()))?;
    // Head and body in one write: they leave together.
    write_head_and_payload(&mut send, frame, FrameType::Body, body.clone())
        .await
        .map_err(QueryError::Connection)?;
    let _ = send.finish();
    Ok((send, FrameReader::new(recv)))
}

/// Reads a unary response: head, then the body on 200.
pub(crate) async fn read_response<R: DeserializeOwned>(
    recv: &mut FrameReader,
    limits: &Limits,
) -> (Option<Duration>, Result<R, QueryError>) {
    let head = recv
        .read_frame(&[FrameType::ResponseHead], limits.max_head_frame)
        .await;
    let head_bytes = match head {
        Ok((_, bytes)) => bytes,
        Err(e) => return (None, Err(read_error(e))),
    };
    let head: ResponseHead<'_> = match decode_envelope(&head_bytes) {
        Ok(head) => head,
        Err(e) => return (None, Err(QueryError::Protocol(e.to_string()))),
    };
    let process_time = Some(Duration::from_micros(head.process_time_us));
    let status = StatusCode(head.status);
    if !status.is_success() {
        // The status is the answer; the end is read only so the stream closes quietly.
        let _ = recv.read_end().await;
        let message = head.message.into_owned();
        return (process_time, Err(QueryError::Status { status, message }));
    }
    let body = recv
        .read_frame(&[FrameType::Body], limits.max_response_body)
        .await;
    let body = match body {
        Ok((_, body)) => body,
        Err(e) => return (process_time, Err(read_error(e))),
    };
    // Reading the FIN spares the miner a STOP_SENDING (a datagram per request).
    if let Err(e) = recv.read_end().await {
        return (process_time, Err(read_error(e)));
    }
    let decoded = decode_body::<R>(&body, limits.max_decode_depth)
        .map_err(|e| QueryError::Decode(e.to_string()));
    (process_time, decoded)
}

/// The outcome of an answer that came on a lane: the status, or on 200 the decoded body.
pub(crate) fn lane_outcome<R: DeserializeOwned>(
    answer: LaneAnswer,
    limits: &Limits,
) -> (Option<Duration>, Result<R, QueryError>) {
    let process_time = Some(answer.process_time);
    let status = StatusCode(answer.status);
    let outcome = match answer.body {
        Some(body) if status.is_success() => decode_body::<R>(&body, limits.max_decode_depth)
            .map_err(|e| QueryError::Decode(e.to_string())),
        _ => Err(QueryError::Status {
            status,
            message: answer.message,
        }),
    };
    (process_time, outcome)
}

/// A streaming response being read: chunks until the end frame.
pub struct ChunkStream<T> {
    pub(crate) recv: FrameReader,
    pub(crate) limits: Limits,
    pub(crate) deadline: tokio::time::Instant,
    pub(crate) received: u64,
    pub(crate) done: bool,
    pub(crate) _t: std::marker::PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> ChunkStream<T> {
    /// The next chunk; `Ok(None)` when the miner ended the stream with 200 after sending every
    /// chunk. A non-200 end, a truncated stream or the deadline give an error.
    pub async fn next(&mut self) -> Result<Option<T>, QueryError> {
        if self.done {
            return Ok(None);
        }
        let (recv, limits) = (&mut self.recv, &self.limits);
        let read = async move {
            let kinds = [FrameType::StreamChunk, FrameType::StreamEnd];
            let header = recv.read_header(&kinds, limits.max_response_body).await?;
            // The end of a stream is a small head, not a body: its own, smaller limit.
            if header.ty == FrameType::StreamEnd && header.len as usize > limits.max_head_frame {
                return Err(ReadFrameError::Frame(FrameError::TooLarge {
                    len: header.len.into(),
                    limit: limits.max_head_frame,
                }));
            }
            let payload = recv.read_payload(header).await?;
            Ok((header, payload))
        };
        let (header, payload) = match tokio::time::timeout_at(self.deadline, read).await {
            Ok(Ok(frame)) => frame,
            Ok(Err(e)) => {
                self.done = true;
                return Err(read_error(e));
            }
            Err(_) => {
                self.done = true;
                return Err(QueryError::Timeout);
            }
        };
        if header.ty == FrameType::StreamChunk {
            self.received += 1;
            return decode_body::<T>(&payload, self.limits.max_decode_depth)
                .map(Some)
                .map_err(|e| QueryError::Decode(e.to_string()));
        }
        self.done = true;
        let end: StreamEnd<'_> =
            decode_envelope(&payload).map_err(|e| QueryError::Protocol(e.to_string()))?;
        // The end frame is the last: read the FIN so the stream closes without STOP_SENDING.
        match tokio::time::timeout_at(self.deadline, self.recv.read_end()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(read_error(e)),
            Err(_) => return Err(QueryError::Timeout),
        }
        let status = StatusCode(end.status);
        if !status.is_success() {
            return Err(QueryError::Status {
                status,
                message: end.message.into_owned(),
            });
        }
        if end.chunks != self.received {
            return Err(QueryError::Protocol(format!(
                "stream ended after {} chunks, miner sent {}",
                self.received, end.chunks
            )));
        }
        Ok(None)
    }

    /// Reads every remaining chunk.
    pub async fn collect(mut self) -> Result<Vec<T>, QueryError> {
        let mut out = Vec::new();
        while let Some(chunk) = self.next().await? {
            out.push(chunk);
        }
        Ok(out)
    }
}

impl<T> std::fmt::Debug for ChunkStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkStream")
            .field("received", &self.received)
            .field("done", &self.done)
            .finish()
    }
}
