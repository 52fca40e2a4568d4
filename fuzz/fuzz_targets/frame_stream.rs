//! A byte stream read frame by frame the way miners and validators read QUIC streams (see
//! `axonite::transport::read_frame`, whose socket half is not fuzzed): handshake, then
//! request heads and bodies (miner), or response heads and bodies, or stream chunks and
//! ends (validator), each frame under its `Limits`, each payload decoded.
//!
//! Input: `[role][limits][frames...]`.
#![no_main]

use axonite::protocol::codec::{decode_body, decode_envelope};
use axonite::protocol::{
    FrameType, HandshakeRequest, HandshakeResponse, Limits, RequestHead, ResponseHead, StatusCode,
    StreamEnd,
};
use axonite_fuzz::body::{Chunk, Query};
use axonite_fuzz::fixtures::{BINDING, NOW_MS, verifier};
use axonite_fuzz::frames::FrameCursor;
use axonite_fuzz::{check_envelope, roundtrip};
use libfuzzer_sys::fuzz_target;

/// Bounds the work per input whatever the stream holds.
const MAX_FRAMES: usize = 64;

fuzz_target!(|data: &[u8]| {
    let [role, limits_choice, stream @ ..] = data else {
        return;
    };
    let limits = if limits_choice & 1 == 0 {
        Limits::default()
    } else {
        // Tight limits, so that inputs of a few hundred bytes reach every size check.
        Limits {
            max_handshake_frame: 192,
            max_head_frame: 24,
            max_request_body: 96,
            max_response_body: 128,
            max_decode_depth: usize::from(limits_choice >> 1),
        }
    };
    let mut frames = FrameCursor::new(stream);
    let _ = match role % 3 {
        0 => miner(&mut frames, &limits),
        1 => validator_unary(&mut frames, &limits),
        _ => validator_streaming(&mut frames, &limits),
    };
});

/// A miner: handshake request, then (head, body) pairs. A synapse named `Small` has its own,
/// lower body limit, as `Synapse::MAX_REQUEST_BYTES` gives.
fn miner(frames: &mut FrameCursor<'_>, limits: &Limits) -> Option<()> {
    let (_, payload) = frames
        .next(&[FrameType::HandshakeRequest], limits.max_handshake_frame)
        .ok()?;
    let request: HandshakeRequest = decode_envelope(payload).ok()?;
    check_envelope!(HandshakeRequest, &request);
    let _ = verifier().verify_request(&request, &BINDING, NOW_MS);
    for _ in 0..MAX_FRAMES {
        let (_, payload) = frames
            .next(&[FrameType::RequestHead], limits.max_head_frame)
            .ok()?;
        let head: RequestHead<'_> = decode_envelope(payload).ok()?;
        check_envelope!(RequestHead<'_>, &head);
        let limit = if head.synapse == "Small" {
            limits.max_request_body.min(16)
        } else {
            limits.max_request_body
        };
        let (_, body) = frames.next(&[FrameType::Body], limit).ok()?;
        if let Ok(query) = decode_body::<Query>(body, limits.max_decode_depth) {
            roundtrip::body(&query, limits.max_decode_depth);
        }
    }
    None
}

/// A validator reading unary responses: handshake response, then (head, body on 200).
fn validator_unary(frames: &mut FrameCursor<'_>, limits: &Limits) -> Option<()> {
    handshake_response(frames, limits)?;
    for _ in 0..MAX_FRAMES {
        let (_, payload) = frames
            .next(&[FrameType::ResponseHead], limits.max_head_frame)
            .ok()?;
        let head: ResponseHead<'_> = decode_envelope(payload).ok()?;
        check_envelope!(ResponseHead<'_>, &head);
        if StatusCode(head.status).is_success() {
            let (_, body) = frames
                .next(&[FrameType::Body], limits.max_response_body)
                .ok()?;
            if let Ok(query) = decode_body::<Query>(body, limits.max_decode_depth) {
                roundtrip::body(&query, limits.max_decode_depth);
            }
        }
    }
    None
}

/// A validator reading a streaming response: handshake response, chunks, then the end.
fn validator_streaming(frames: &mut FrameCursor<'_>, limits: &Limits) -> Option<()> {
    handshake_response(frames, limits)?;
    let mut received = 0u64;
    for _ in 0..MAX_FRAMES {
        let (header, payload) = frames
            .next(
                &[FrameType::StreamChunk, FrameType::StreamEnd],
                limits.max_response_body,
            )
            .ok()?;
        if header.ty == FrameType::StreamChunk {
            received += 1;
            let chunk: Chunk = decode_body(payload, limits.max_decode_depth).ok()?;
            roundtrip::body(&chunk, limits.max_decode_depth);
            continue;
        }
        let end: StreamEnd<'_> = decode_envelope(payload).ok()?;
        check_envelope!(StreamEnd<'_>, &end);
        let _complete = end.chunks == received;
        return Some(());
    }
    None
}

fn handshake_response(frames: &mut FrameCursor<'_>, limits: &Limits) -> Option<()> {
    let (_, payload) = frames
        .next(&[FrameType::HandshakeResponse], limits.max_handshake_frame)
        .ok()?;
    let response: HandshakeResponse = decode_envelope(payload).ok()?;
    check_envelope!(HandshakeResponse, &response);
    Some(())
}
