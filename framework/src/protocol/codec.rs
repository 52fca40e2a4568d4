//! MessagePack encoding of envelopes and bodies, with depth limits on decoding.

use serde::{Deserialize, Serialize};

use super::nesting::check_nesting;
use super::{FrameHeader, FrameType};

/// Why bytes could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// The bytes are not valid MessagePack for the expected type (or nest too deeply).
    #[error("malformed message: {0}")]
    Decode(String),
    /// A value could not be encoded (for example a map with non-string keys in a named struct).
    #[error("cannot encode message: {0}")]
    Encode(String),
    /// The encoded payload does not fit the 32-bit frame length.
    #[error("payload of {0} bytes does not fit in a frame")]
    TooLong(usize),
}

/// Nesting allowed inside envelopes (they are flat; bodies are opaque bytes here).
const ENVELOPE_DEPTH: usize = 8;

/// Encodes an envelope as a compact MessagePack array.
pub fn encode_envelope<T: Serialize>(value: &T) -> Result<Vec<u8>, CodecError> {
    rmp_serde::to_vec(value).map_err(|e| CodecError::Encode(e.to_string()))
}

/// Decodes an envelope, borrowing strings and bodies from `bytes`.
pub fn decode_envelope<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, CodecError> {
    decode_with_depth(bytes, ENVELOPE_DEPTH)
}

/// Encodes a user body (a synapse request, response or stream chunk) as MessagePack with
/// field names, so that adding optional fields keeps old peers compatible.
pub fn encode_body<T: Serialize>(value: &T) -> Result<Vec<u8>, CodecError> {
    // Room for a small body at once: growing from empty cost several reallocations.
    let mut out = Vec::with_capacity(BODY_START_CAPACITY);
    rmp_serde::encode::write_named(&mut out, value)
        .map_err(|e| CodecError::Encode(e.to_string()))?;
    Ok(out)
}

/// First allocation of an encoded body, in bytes.
const BODY_START_CAPACITY: usize = 256;

/// Decodes a user body, refusing nesting deeper than `max_depth`.
pub fn decode_body<'a, T: Deserialize<'a>>(
    bytes: &'a [u8],
    max_depth: usize,
) -> Result<T, CodecError> {
    decode_with_depth(bytes, max_depth)
}

fn decode_with_depth<'a, T: Deserialize<'a>>(
    bytes: &'a [u8],
    max_depth: usize,
) -> Result<T, CodecError> {
    // rmp-serde's own depth count misses enum variants: bound the nesting first.
    check_nesting(bytes, max_depth).map_err(CodecError::Decode)?;
    let mut de = rmp_serde::Deserializer::from_read_ref(bytes);
    // rmp-serde refuses a container once its counter reaches 0: a counter of N admits N - 1
    // levels, and 0 underflows (a panic, or no limit at all without overflow checks).
    de.set_max_depth(max_depth.saturating_add(1));
    T::deserialize(&mut de).map_err(|e| CodecError::Decode(e.to_string()))
}

/// Encodes an envelope and prefixes it with its frame header, ready to write.
pub fn encode_frame<T: Serialize>(ty: FrameType, value: &T) -> Result<Vec<u8>, CodecError> {
    // Reserve the header in place, then patch the length: one allocation, no copy.
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&[0u8; FrameHeader::LEN]);
    rmp_serde::encode::write(&mut out, value).map_err(|e| CodecError::Encode(e.to_string()))?;
    patch_header(ty, out)
}

/// Frames an already-encoded payload (for stream chunks, whose payload is the body itself).
pub fn frame_bytes(ty: FrameType, payload: &[u8]) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::with_capacity(FrameHeader::LEN + payload.len());
    out.extend_from_slice(&[0u8; FrameHeader::LEN]);
    out.extend_from_slice(payload);
    patch_header(ty, out)
}

fn patch_header(ty: FrameType, mut out: Vec<u8>) -> Result<Vec<u8>, CodecError> {
    let payload = out.len() - FrameHeader::LEN;
    let len = u32::try_from(payload).map_err(|_| CodecError::TooLong(payload))?;
    out[..FrameHeader::LEN].copy_from_slice(&FrameHeader::encode(ty, len));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use proptest::prelude::*;

    use super::*;
    use crate::identity::Keypair;
    use crate::protocol::{
        HandshakeRequest, HandshakeResponse, Limits, RequestHead, ResponseHead, StreamEnd,
    };

    #[test]
    fn request_head_round_trips_and_borrows_the_name() {
        let head = RequestHead {
            synapse: Cow::Borrowed("Echo"),
            request_id: 42,
            timeout_ms: 500,
        };
        let frame = encode_frame(FrameType::RequestHead, &head).unwrap();
        let limits = Limits::default();
        let header =
            FrameHeader::parse(&frame, FrameType::RequestHead, limits.max_head_frame).unwrap();
        assert_eq!(header.len as usize, frame.len() - FrameHeader::LEN);
        let back: RequestHead<'_> = decode_envelope(&frame[FrameHeader::LEN..]).unwrap();
        assert_eq!(back, head);
        assert!(matches!(back.synapse, Cow::Borrowed(_)));
    }

    #[test]
    fn body_frames_carry_the_payload_unchanged() {
        let body = encode_body(&vec![1u32, 2, 3]).unwrap();
        let frame = frame_bytes(FrameType::Body, &body).unwrap();
        let header = FrameHeader::parse(&frame, FrameType::Body, 1024).unwrap();
        assert_eq!(&frame[FrameHeader::LEN..], &body[..]);
        assert_eq!(header.len as usize, body.len());
        let back: Vec<u32> = decode_body(&frame[FrameHeader::LEN..], 8).unwrap();
        assert_eq!(back, vec![1, 2, 3]);
    }

    #[test]
    fn handshake_envelopes_round_trip_and_stay_small() {
        let v = Keypair::generate().hotkey();
        let m = Keypair::generate().hotkey();
        let req = HandshakeRequest {
            version: 1,
            netuid: 7,
            validator: v,
            miner: m,
            timestamp_ms: 1_700_000_000_000,
            nonce: [9; 16],
            signature: [200; 64],
        };
        let bytes = encode_envelope(&req).unwrap();
        assert!(bytes.len() < 200, "handshake is {} bytes", bytes.len());
        assert_eq!(decode_envelope::<HandshakeRequest>(&bytes).unwrap(), req);
        let resp = HandshakeResponse {
            version: 1,
            miner: m,
            timestamp_ms: 1,
            nonce: [1; 16],
            signature: [2; 64],
        };
        let bytes = encode_envelope(&resp).unwrap();
        assert_eq!(decode_envelope::<HandshakeResponse>(&bytes).unwrap(), resp);
    }

    #[test]
    fn deeply_nested_body_is_refused() {
        // 100 nested single-element arrays around a 0.
        let mut bytes = vec![0x91u8; 100];
        bytes.push(0);
        let err = decode_body::<serde_json::Value>(&bytes, 64).unwrap_err();
        assert!(matches!(err, CodecError::Decode(_)));
        assert!(decode_body::<serde_json::Value>(&bytes, 128).is_ok());
    }

    /// Found by fuzz target body_decode_depth (input `00 00` then this body): a limit of 0
    /// underflowed the decoder's depth counter, a panic with overflow checks and no limit
    /// at all without them.
    #[test]
    fn a_zero_depth_limit_refuses_every_container_without_panicking() {
        let crash = hex::decode(concat!(
            "9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d",
            "000006315b00000040060282a1219301000281a16293a1c3c0a17800"
        ))
        .unwrap();
        assert!(matches!(
            decode_body::<serde_json::Value>(&crash, 0),
            Err(CodecError::Decode(_))
        ));
        assert!(matches!(
            decode_body::<Vec<u8>>(&[0x90], 0),
            Err(CodecError::Decode(_))
        ));
        assert_eq!(decode_body::<u8>(&[0x07], 0), Ok(7));
    }

    #[test]
    fn the_depth_limit_is_the_deepest_nesting_accepted() {
        let two_levels = [0x91, 0x91, 0x00]; // [[0]]
        assert!(decode_body::<serde_json::Value>(&two_levels, 2).is_ok());
        assert!(decode_body::<serde_json::Value>(&two_levels, 1).is_err());
    }

    /// A body type that recurses through enum variants, as an expression tree would.
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    enum Expr {
        Nil,
        Lit(i64),
        Var(String),
        Neg(Box<Expr>),
    }

    /// Found by fuzz target body_decode_depth (input `00 91 81 03 00`): rmp-serde does not
    /// count the one-entry map of an enum variant as a level, so `Neg(Nil)` passed a limit
    /// of 0.
    #[test]
    fn a_recursive_enum_nests_no_deeper_than_the_limit() {
        let crash = [0x81, 0x03, 0x00]; // {3: 0}: Neg(Nil)
        assert!(matches!(
            decode_body::<Expr>(&crash, 0),
            Err(CodecError::Decode(_))
        ));
        assert_eq!(
            decode_body::<Expr>(&crash, 1),
            Ok(Expr::Neg(Box::new(Expr::Nil)))
        );
    }

    /// The same gap at scale: a 200 KB body of nested `Neg`s recursed once per level and
    /// overflowed the stack, aborting the whole process, under the default limit.
    #[test]
    fn a_deeply_nested_enum_is_refused_not_a_stack_overflow() {
        let mut body = [0x81, 0x03].repeat(100_000);
        body.push(0x00);
        let err = decode_body::<Expr>(&body, Limits::default().max_decode_depth).unwrap_err();
        assert!(matches!(err, CodecError::Decode(_)));
    }

    #[test]
    fn wrong_shape_is_a_decode_error() {
        let bytes = encode_envelope(&(1u8, "x")).unwrap();
        assert!(matches!(
            decode_envelope::<ResponseHead<'_>>(&bytes),
            Err(CodecError::Decode(_))
        ));
    }

    proptest! {
        #[test]
        fn envelope_decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode_envelope::<HandshakeRequest>(&bytes);
            let _ = decode_envelope::<HandshakeResponse>(&bytes);
            let _ = decode_envelope::<RequestHead<'_>>(&bytes);
            let _ = decode_envelope::<ResponseHead<'_>>(&bytes);
            let _ = decode_envelope::<StreamEnd<'_>>(&bytes);
            let _ = decode_body::<serde_json::Value>(&bytes, 64);
        }

        #[test]
        fn mutated_valid_envelopes_never_panic(
            name in "[a-zA-Z]{0,24}",
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
        ) {
            let head = RequestHead { synapse: Cow::Owned(name), request_id: 1, timeout_ms: 10 };
            let mut bytes = encode_envelope(&head).unwrap();
            for (at, value) in flips {
                let i = at % bytes.len();
                bytes[i] = value;
            }
            let _ = decode_envelope::<RequestHead<'_>>(&bytes);
        }

        #[test]
        fn response_head_round_trips(status in any::<u16>(), msg in ".{0,40}", t in any::<u64>()) {
            let head = ResponseHead { status, message: Cow::Owned(msg), process_time_us: t };
            let bytes = encode_envelope(&head).unwrap();
            prop_assert_eq!(decode_envelope::<ResponseHead<'_>>(&bytes).unwrap(), head);
        }
    }
}
