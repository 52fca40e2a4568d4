//! Every payload a frame can carry, decoded as the receiver decodes it: the five envelopes
//! (handshake request and response, request and response heads, stream end) and the
//! MessagePack of a stream chunk. Whatever decodes must round-trip.
//!
//! Input: `[frame type][payload...]`; the type byte picks the decoder.
#![no_main]

use axonite::protocol::codec::{decode_body, decode_envelope};
use axonite::protocol::{
    FrameType, HandshakeRequest, HandshakeResponse, LaneResponseHead, Limits, RequestHead,
    ResponseHead, StreamEnd,
};
use axonite_fuzz::body::{Chunk, Query};
use axonite_fuzz::{check_envelope, roundtrip};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&ty, payload)) = data.split_first() else {
        return;
    };
    let Ok(ty) = FrameType::from_byte(ty) else {
        return;
    };
    let depth = Limits::default().max_decode_depth;
    match ty {
        FrameType::HandshakeRequest => {
            if let Ok(v) = decode_envelope::<HandshakeRequest>(payload) {
                check_envelope!(HandshakeRequest, &v);
            }
        }
        FrameType::HandshakeResponse => {
            if let Ok(v) = decode_envelope::<HandshakeResponse>(payload) {
                check_envelope!(HandshakeResponse, &v);
            }
        }
        FrameType::RequestHead => {
            if let Ok(v) = decode_envelope::<RequestHead<'_>>(payload) {
                check_envelope!(RequestHead<'_>, &v);
            }
        }
        FrameType::ResponseHead => {
            if let Ok(v) = decode_envelope::<ResponseHead<'_>>(payload) {
                check_envelope!(ResponseHead<'_>, &v);
            }
        }
        // A lane's request head is a request head; its answer's head names the request.
        FrameType::LaneRequestHead => {
            if let Ok(v) = decode_envelope::<RequestHead<'_>>(payload) {
                check_envelope!(RequestHead<'_>, &v);
            }
        }
        FrameType::LaneResponseHead => {
            if let Ok(v) = decode_envelope::<LaneResponseHead<'_>>(payload) {
                check_envelope!(LaneResponseHead<'_>, &v);
            }
        }
        FrameType::StreamEnd => {
            if let Ok(v) = decode_envelope::<StreamEnd<'_>>(payload) {
                check_envelope!(StreamEnd<'_>, &v);
            }
        }
        FrameType::StreamChunk => {
            if let Ok(v) = decode_body::<Chunk>(payload, depth) {
                roundtrip::body(&v, depth);
            }
        }
        FrameType::Body => {
            if let Ok(v) = decode_body::<Query>(payload, depth) {
                roundtrip::body(&v, depth);
            }
        }
    }
});
