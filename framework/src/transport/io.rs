//! Reading and writing frames on QUIC streams, with limits checked before allocation.

use bytes::Bytes;

use crate::protocol::{FrameError, FrameHeader, FrameType};

/// Why a frame could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadFrameError {
    /// The header broke a protocol rule (type, size). Nothing past the header was read.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// The stream ended cleanly before any byte of a frame.
    #[error("stream finished")]
    Finished,
    /// The stream ended in the middle of a frame.
    #[error("stream ended inside a frame")]
    Truncated,
    /// Bytes followed the frame that should have been the stream's last.
    #[error("bytes after the last frame of the stream")]
    Trailing,
    /// The stream or connection failed.
    #[error("stream error: {0}")]
    Stream(String),
}

/// Reads one frame whose type is in `expected` and whose payload is at most `max_len`,
/// refusing oversized frames from the header alone. Returns the header and exactly
/// `header.len` payload bytes.
pub async fn read_frame(
    recv: &mut quinn::RecvStream,
    expected: &[FrameType],
    max_len: usize,
) -> Result<(FrameHeader, Vec<u8>), ReadFrameError> {
    let header = read_header(recv, expected, max_len).await?;
    let payload = read_payload(recv, header).await?;
    Ok((header, payload))
}

/// Reads and checks only a frame header, so the caller can apply a limit it learns later
/// (for example the synapse's) before [`read_payload`].
pub async fn read_header(
    recv: &mut quinn::RecvStream,
    expected: &[FrameType],
    max_len: usize,
) -> Result<FrameHeader, ReadFrameError> {
    let mut header = [0u8; FrameHeader::LEN];
    match recv.read_exact(&mut header).await {
        Ok(()) => {}
        Err(quinn::ReadExactError::FinishedEarly(0)) => return Err(ReadFrameError::Finished),
        Err(quinn::ReadExactError::FinishedEarly(_)) => return Err(ReadFrameError::Truncated),
        Err(quinn::ReadExactError::ReadError(e)) => {
            return Err(ReadFrameError::Stream(e.to_string()));
        }
    }
    Ok(FrameHeader::parse_any(&header, expected, max_len)?)
}

/// Reads the payload of a frame whose header was checked by [`read_header`].
pub async fn read_payload(
    recv: &mut quinn::RecvStream,
    header: FrameHeader,
) -> Result<Vec<u8>, ReadFrameError> {
    // Bounded by the limit the header was checked against.
    let mut payload = vec![0u8; header.len as usize];
    match recv.read_exact(&mut payload).await {
        Ok(()) => Ok(payload),
        Err(quinn::ReadExactError::FinishedEarly(_)) => Err(ReadFrameError::Truncated),
        Err(quinn::ReadExactError::ReadError(e)) => Err(ReadFrameError::Stream(e.to_string())),
    }
}

/// Reads the end of a stream whose last frame was read: waits for the peer's FIN and refuses
/// any further byte ([`ReadFrameError::Trailing`]).
///
/// A quinn receive stream dropped before its FIN was read sends STOP_SENDING to the peer: one
/// more frame, usually one more datagram and its acknowledgement, per request. The FIN
/// normally arrives in the same packet as the last frame, so this rarely waits.
pub async fn read_end(recv: &mut quinn::RecvStream) -> Result<(), ReadFrameError> {
    match recv.read_chunk(1, true).await {
        Ok(None) => Ok(()),
        Ok(Some(_)) => Err(ReadFrameError::Trailing),
        Err(e) => Err(ReadFrameError::Stream(e.to_string())),
    }
}

/// Writes an already-framed buffer (see [`crate::protocol::codec::encode_frame`]).
pub async fn write_frame(send: &mut quinn::SendStream, frame: &[u8]) -> Result<(), String> {
    send.write_all(frame).await.map_err(|e| e.to_string())
}

/// Writes an encoded frame (a request or response head) and then `payload` as a frame of
/// type `ty`, in one write: quinn then usually sends them in the same packets instead of
/// one packet per write. The payload's header is appended to `head_frame`'s buffer (no new
/// allocation when it has room, as [`encode_frame`](crate::protocol::codec::encode_frame)
/// leaves) and `payload` is handed over without a copy.
pub async fn write_head_and_payload(
    send: &mut quinn::SendStream,
    head_frame: Vec<u8>,
    ty: FrameType,
    payload: Bytes,
) -> Result<(), String> {
    let mut chunks = head_and_payload(head_frame, ty, payload)?;
    send.write_all_chunks(&mut chunks)
        .await
        .map_err(|e| e.to_string())
}

/// An encoded head frame followed by `payload` as a frame of type `ty`, as two chunks to
/// write together: the payload's header is appended to the head's buffer, and the payload
/// is not copied.
pub fn head_and_payload(
    mut head_frame: Vec<u8>,
    ty: FrameType,
    payload: Bytes,
) -> Result<[Bytes; 2], String> {
    let len = u32::try_from(payload.len())
        .map_err(|_| format!("payload of {} bytes does not fit in a frame", payload.len()))?;
    head_frame.extend_from_slice(&FrameHeader::encode(ty, len));
    Ok([Bytes::from(head_frame), payload])
}

/// Writes a frame header and then `payload`, without copying the payload into a new buffer.
pub async fn write_payload_frame(
    send: &mut quinn::SendStream,
    ty: FrameType,
    payload: &[u8],
) -> Result<(), String> {
    let len = u32::try_from(payload.len())
        .map_err(|_| format!("payload of {} bytes does not fit in a frame", payload.len()))?;
    send.write_all(&FrameHeader::encode(ty, len))
        .await
        .map_err(|e| e.to_string())?;
    send.write_all(payload).await.map_err(|e| e.to_string())
}
