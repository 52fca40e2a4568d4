//! Frame headers: `[type: u8][len: u32 BE]`, validated before the payload is read.

#[cfg(doc)]
use super::Limits;

/// The kind of a frame, the first byte on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum FrameType {
    /// Validator to miner: the signed handshake request (first stream only).
    HandshakeRequest = 1,
    /// Miner to validator: the signed handshake response (first stream only).
    HandshakeResponse = 2,
    /// Validator to miner: the head of a request (synapse, id, timeout); a `Body` follows.
    RequestHead = 3,
    /// Miner to validator: the head of a unary response (status); a `Body` follows on 200.
    ResponseHead = 4,
    /// The MessagePack body of the request or response whose head came just before. Its own
    /// header lets the receiver apply the synapse's size limit before reading it.
    Body = 5,
    /// Miner to validator: one item of a streaming response.
    StreamChunk = 6,
    /// Miner to validator: the end of a streaming response, with its status.
    StreamEnd = 7,
    /// Validator to miner, on a lane: the head of one of the requests pipelined on that
    /// stream (a [`RequestHead`](super::RequestHead) envelope); a `Body` follows. The first
    /// frame of a stream says what the stream is: a lane starts with this one.
    LaneRequestHead = 8,
    /// Miner to validator, on a lane: the head of the answer to one of its requests (a
    /// [`LaneResponseHead`](super::LaneResponseHead), which names the request); a `Body`
    /// follows on 200.
    LaneResponseHead = 9,
}

impl FrameType {
    /// Parses the type byte of a frame.
    pub fn from_byte(byte: u8) -> Result<Self, FrameError> {
        Ok(match byte {
            1 => Self::HandshakeRequest,
            2 => Self::HandshakeResponse,
            3 => Self::RequestHead,
            4 => Self::ResponseHead,
            5 => Self::Body,
            6 => Self::StreamChunk,
            7 => Self::StreamEnd,
            8 => Self::LaneRequestHead,
            9 => Self::LaneResponseHead,
            other => return Err(FrameError::UnknownType(other)),
        })
    }

    /// True for frames that carry only small, fixed-shape envelopes (handshakes and heads);
    /// [`Limits::max_head_frame`] or [`Limits::max_handshake_frame`] applies to them.
    pub fn is_envelope(self) -> bool {
        !matches!(self, Self::Body | Self::StreamChunk)
    }
}

/// Why a frame was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The type byte names no frame type of `axonite/1`.
    #[error("unknown frame type {0}")]
    UnknownType(u8),
    /// A frame of a type that is not allowed at this point of the stream.
    #[error("unexpected frame type {got:?}, expected {expected:?}")]
    Unexpected {
        /// What arrived.
        got: FrameType,
        /// What the protocol allows here.
        expected: FrameType,
    },
    /// The declared payload length is over the limit for this frame type.
    #[error("frame of {len} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Declared length.
        len: u64,
        /// Limit that applies.
        limit: usize,
    },
    /// Fewer bytes than a header (5) were available.
    #[error("truncated frame header")]
    Truncated,
}

/// A parsed and validated frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// The frame's type.
    pub ty: FrameType,
    /// Length of the payload that follows, already checked against the limits.
    pub len: u32,
}

impl FrameHeader {
    /// Size of an encoded header in bytes.
    pub const LEN: usize = 5;

    /// Parses a header from the first 5 bytes of `bytes` and checks that its type is the
    /// expected one and its length at most `max_len`. Reads nothing beyond the header.
    pub fn parse(bytes: &[u8], expected: FrameType, max_len: usize) -> Result<Self, FrameError> {
        Self::parse_any(bytes, &[expected], max_len)
    }

    /// Like [`FrameHeader::parse`] for places where several frame types may come next (a
    /// streaming response: chunk or end). `expected` must not be empty.
    pub fn parse_any(
        bytes: &[u8],
        expected: &[FrameType],
        max_len: usize,
    ) -> Result<Self, FrameError> {
        let Some(header) = bytes.get(..Self::LEN) else {
            return Err(FrameError::Truncated);
        };
        let ty = FrameType::from_byte(header[0])?;
        if !expected.contains(&ty) {
            return Err(FrameError::Unexpected {
                got: ty,
                expected: expected.first().copied().unwrap_or(ty),
            });
        }
        let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]);
        let limit = max_len;
        if len as usize > limit {
            return Err(FrameError::TooLarge {
                len: len.into(),
                limit,
            });
        }
        Ok(Self { ty, len })
    }

    /// Encodes the header for a payload of `len` bytes.
    pub fn encode(ty: FrameType, len: u32) -> [u8; Self::LEN] {
        let l = len.to_be_bytes();
        [ty as u8, l[0], l[1], l[2], l[3]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    use crate::protocol::Limits;

    #[test]
    fn oversized_length_is_refused_from_the_header_alone() {
        let limits = Limits::default();
        let header = FrameHeader::encode(FrameType::Body, u32::MAX);
        let err =
            FrameHeader::parse(&header, FrameType::Body, limits.max_request_body).unwrap_err();
        assert!(matches!(err, FrameError::TooLarge { len, .. } if len == u64::from(u32::MAX)));
    }

    #[test]
    fn handshake_frames_have_a_small_limit() {
        let limits = Limits::default();
        let too_big = (limits.max_handshake_frame + 1) as u32;
        let header = FrameHeader::encode(FrameType::HandshakeRequest, too_big);
        assert!(matches!(
            FrameHeader::parse(
                &header,
                FrameType::HandshakeRequest,
                limits.max_handshake_frame
            ),
            Err(FrameError::TooLarge { .. })
        ));
    }

    #[test]
    fn a_request_frame_where_a_handshake_is_expected_is_refused() {
        let header = FrameHeader::encode(FrameType::RequestHead, 3);
        assert_eq!(
            FrameHeader::parse(&header, FrameType::HandshakeRequest, 4096),
            Err(FrameError::Unexpected {
                got: FrameType::RequestHead,
                expected: FrameType::HandshakeRequest
            })
        );
    }

    #[test]
    fn every_type_byte_round_trips_and_the_next_one_is_unknown() {
        for byte in 1..=9u8 {
            let ty = FrameType::from_byte(byte).unwrap();
            assert_eq!(ty as u8, byte);
        }
        assert_eq!(FrameType::from_byte(10), Err(FrameError::UnknownType(10)));
        assert!(FrameType::LaneRequestHead.is_envelope());
        assert!(FrameType::LaneResponseHead.is_envelope());
    }

    #[test]
    fn unknown_type_and_truncation_are_typed_errors() {
        assert_eq!(
            FrameHeader::parse(&[0, 0, 0, 0, 1], FrameType::RequestHead, 4096),
            Err(FrameError::UnknownType(0))
        );
        assert_eq!(
            FrameHeader::parse(&[3, 0], FrameType::RequestHead, 4096),
            Err(FrameError::Truncated)
        );
    }

    proptest! {
        #[test]
        fn header_parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..16)) {
            let _ = FrameHeader::parse_any(&bytes, &[FrameType::StreamChunk, FrameType::StreamEnd], 1 << 20);
        }

        #[test]
        fn header_round_trips_within_limits(len in 0u32..1024) {
            let bytes = FrameHeader::encode(FrameType::ResponseHead, len);
            let header = FrameHeader::parse(&bytes, FrameType::ResponseHead, 1024).unwrap();
            prop_assert_eq!(header, FrameHeader { ty: FrameType::ResponseHead, len });
        }
    }
}
