//! A buffered frame reader over a QUIC receive stream: the hot-path counterpart of
//! [`read_frame`](super::read_frame) and friends.
//!
//! The free functions read exactly the bytes they need, one `read_exact` per header and per
//! payload, and each read locks the connection's state. A request (head, body, end of stream)
//! usually arrives as one chunk; this reader takes whole chunks from quinn without copying
//! and cuts the frames out of them, so a request or response costs about two reads instead of
//! five, and a payload that sits inside one chunk is handed out without a copy.
//!
//! Limits are checked as before: a header is checked against its limit before any of its
//! payload is buffered, and what the reader holds beyond the current frame is at most the
//! rest of one chunk (one QUIC STREAM frame, bounded by the packet size).

use bytes::{Buf, Bytes, BytesMut};

use super::io::ReadFrameError;
use crate::protocol::{FrameHeader, FrameType};

/// Reads frames from a quinn receive stream, a chunk at a time.
#[derive(Debug)]
pub struct FrameReader {
    recv: quinn::RecvStream,
    /// Received bytes not yet handed out.
    buffered: Bytes,
}

impl FrameReader {
    /// Wraps `recv`; nothing is read yet.
    pub fn new(recv: quinn::RecvStream) -> Self {
        Self {
            recv,
            buffered: Bytes::new(),
        }
    }

    /// The stream, for calls such as `stop` (bytes already buffered here stay here).
    pub fn stream_mut(&mut self) -> &mut quinn::RecvStream {
        &mut self.recv
    }

    /// Reads one frame whose type is in `expected` and whose payload is at most `max_len`,
    /// refusing an oversized frame from its header alone.
    pub async fn read_frame(
        &mut self,
        expected: &[FrameType],
        max_len: usize,
    ) -> Result<(FrameHeader, Bytes), ReadFrameError> {
        let header = self.read_header(expected, max_len).await?;
        let payload = self.read_payload(header).await?;
        Ok((header, payload))
    }

    /// Reads and checks a frame header only, so the caller can apply a limit it learns later
    /// before [`read_payload`](Self::read_payload).
    pub async fn read_header(
        &mut self,
        expected: &[FrameType],
        max_len: usize,
    ) -> Result<FrameHeader, ReadFrameError> {
        while self.buffered.len() < FrameHeader::LEN {
            if !self.fill().await? {
                return Err(if self.buffered.is_empty() {
                    ReadFrameError::Finished
                } else {
                    ReadFrameError::Truncated
                });
            }
        }
        let mut bytes = [0u8; FrameHeader::LEN];
        bytes.copy_from_slice(&self.buffered[..FrameHeader::LEN]);
        let header = FrameHeader::parse_any(&bytes, expected, max_len)?;
        self.buffered.advance(FrameHeader::LEN);
        Ok(header)
    }

    /// Reads the payload of a frame whose header was checked by
    /// [`read_header`](Self::read_header). Without a copy when it arrived in one chunk.
    pub async fn read_payload(&mut self, header: FrameHeader) -> Result<Bytes, ReadFrameError> {
        // Bounded by the limit the header was checked against.
        let len = header.len as usize;
        if self.buffered.len() >= len {
            return Ok(self.buffered.split_to(len));
        }
        let mut payload = BytesMut::with_capacity(len);
        payload.extend_from_slice(&std::mem::take(&mut self.buffered));
        while payload.len() < len {
            match self.next_chunk(len - payload.len()).await? {
                Some(chunk) => payload.extend_from_slice(&chunk),
                None => return Err(ReadFrameError::Truncated),
            }
        }
        Ok(payload.freeze())
    }

    /// Reads the end of the stream after its last frame: the peer's FIN, and no further
    /// byte ([`ReadFrameError::Trailing`]). Reading the FIN spares the peer a STOP_SENDING.
    pub async fn read_end(&mut self) -> Result<(), ReadFrameError> {
        if !self.buffered.is_empty() {
            return Err(ReadFrameError::Trailing);
        }
        match self.next_chunk(1).await? {
            None => Ok(()),
            Some(_) => Err(ReadFrameError::Trailing),
        }
    }

    /// Appends the next chunk to the buffer (a copy only when a header was split across
    /// chunks); `false` at the end of the stream.
    async fn fill(&mut self) -> Result<bool, ReadFrameError> {
        let Some(chunk) = self.next_chunk(usize::MAX).await? else {
            return Ok(false);
        };
        if self.buffered.is_empty() {
            self.buffered = chunk;
        } else {
            let mut joined = BytesMut::with_capacity(self.buffered.len() + chunk.len());
            joined.extend_from_slice(&self.buffered);
            joined.extend_from_slice(&chunk);
            self.buffered = joined.freeze();
        }
        Ok(true)
    }

    async fn next_chunk(&mut self, max: usize) -> Result<Option<Bytes>, ReadFrameError> {
        match self.recv.read_chunk(max, true).await {
            Ok(chunk) => Ok(chunk.map(|c| c.bytes)),
            Err(e) => Err(ReadFrameError::Stream(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::protocol::FrameError;
    use crate::transport::{TransportSettings, loopback};

    /// A connected pair on loopback; the server side is authenticated (all streams open).
    async fn pair() -> ([quinn::Endpoint; 2], quinn::Connection, quinn::Connection) {
        let settings = TransportSettings::default();
        let (endpoints, to_server, at_server) = loopback::pair(&settings).await;
        settings.authenticated(&at_server);
        (endpoints, to_server, at_server)
    }

    /// Sends `parts` on a new stream, each written separately after a pause (so they arrive
    /// as separate chunks), then the FIN; returns the server's reader.
    async fn send_in_parts(
        client: &quinn::Connection,
        server: &quinn::Connection,
        parts: Vec<Vec<u8>>,
    ) -> FrameReader {
        let (mut send, _recv) = client.open_bi().await.unwrap();
        let writer = tokio::spawn(async move {
            for part in parts {
                send.write_all(&part).await.unwrap();
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            send.finish().unwrap();
            // Keep the stream until the peer read it all.
            let _ = send.stopped().await;
        });
        let (_send, recv) = server.accept_bi().await.unwrap();
        drop(writer);
        FrameReader::new(recv)
    }

    fn frame(ty: FrameType, payload: &[u8]) -> Vec<u8> {
        let mut out = FrameHeader::encode(ty, payload.len() as u32).to_vec();
        out.extend_from_slice(payload);
        out
    }

    const KINDS: [FrameType; 2] = [FrameType::RequestHead, FrameType::Body];

    #[tokio::test]
    async fn frames_split_anywhere_across_chunks_are_read_whole() {
        let (_ep, client, server) = pair().await;
        let mut bytes = frame(FrameType::RequestHead, b"head");
        bytes.extend(frame(FrameType::Body, &[9u8; 3000]));
        // Cut inside the first header, inside the second header, and inside the body.
        let parts = vec![
            bytes[..2].to_vec(),
            bytes[2..11].to_vec(),
            bytes[11..1000].to_vec(),
            bytes[1000..].to_vec(),
        ];
        let mut reader = send_in_parts(&client, &server, parts).await;
        let (h, head) = reader.read_frame(&KINDS, 64).await.unwrap();
        assert_eq!((h.ty, &head[..]), (FrameType::RequestHead, &b"head"[..]));
        let (h, body) = reader.read_frame(&KINDS, 4096).await.unwrap();
        assert_eq!((h.ty, body.len()), (FrameType::Body, 3000));
        assert!(body.iter().all(|b| *b == 9));
        reader.read_end().await.unwrap();
    }

    #[tokio::test]
    async fn an_oversized_frame_is_refused_from_its_header() {
        let (_ep, client, server) = pair().await;
        let parts = vec![frame(FrameType::Body, &[1u8; 2048])];
        let mut reader = send_in_parts(&client, &server, parts).await;
        assert_eq!(
            reader.read_header(&KINDS, 1024).await,
            Err(ReadFrameError::Frame(FrameError::TooLarge {
                len: 2048,
                limit: 1024
            }))
        );
    }

    #[tokio::test]
    async fn bytes_after_the_last_frame_are_trailing() {
        let (_ep, client, server) = pair().await;
        let mut bytes = frame(FrameType::Body, b"ok");
        bytes.push(0xFF);
        let mut reader = send_in_parts(&client, &server, vec![bytes]).await;
        reader.read_frame(&KINDS, 64).await.unwrap();
        assert_eq!(reader.read_end().await, Err(ReadFrameError::Trailing));
    }

    #[tokio::test]
    async fn a_stream_ending_inside_a_frame_is_truncated_and_an_empty_one_finished() {
        let (_ep, client, server) = pair().await;
        let mut cut = frame(FrameType::Body, &[5u8; 100]);
        cut.truncate(50);
        let mut reader = send_in_parts(&client, &server, vec![cut]).await;
        assert_eq!(
            reader.read_frame(&KINDS, 1024).await,
            Err(ReadFrameError::Truncated)
        );
        let mut reader = send_in_parts(&client, &server, vec![vec![1, 2]]).await;
        assert_eq!(
            reader.read_header(&KINDS, 1024).await,
            Err(ReadFrameError::Truncated)
        );
        let mut reader = send_in_parts(&client, &server, vec![]).await;
        assert_eq!(
            reader.read_header(&KINDS, 1024).await,
            Err(ReadFrameError::Finished)
        );
    }
}
