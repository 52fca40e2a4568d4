//! The handshake verifiers fed arbitrary frames, with a fixed miner key, TLS binding and
//! clock: the miner's `HandshakeVerifier::verify_request` on a request frame, then the
//! validator's `verify_server_response` on a response frame. Both must answer Ok or a typed
//! error; only what the fixed keys signed for this session may pass.
//!
//! Input: `[handshake request frame][handshake response frame]`.
#![no_main]

use axonite::handshake::{HandshakeError, verify_server_response};
use axonite::protocol::codec::decode_envelope;
use axonite::protocol::{FrameType, HandshakeRequest, HandshakeResponse, Limits};
use axonite_fuzz::fixtures::{BINDING, NOW_MS, OTHER_BINDING, miner, validator, verifier};
use axonite_fuzz::frames::FrameCursor;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limit = Limits::default().max_handshake_frame;
    let mut frames = FrameCursor::new(data);
    let Ok((_, payload)) = frames.next(&[FrameType::HandshakeRequest], limit) else {
        return;
    };
    let Ok(request) = decode_envelope::<HandshakeRequest>(payload) else {
        return;
    };
    server_side(&request);
    let Ok((_, payload)) = frames.next(&[FrameType::HandshakeResponse], limit) else {
        return;
    };
    let Ok(response) = decode_envelope::<HandshakeResponse>(payload) else {
        return;
    };
    if verify_server_response(&response, &request, &BINDING).is_ok() {
        // Only the miner the validator dialled, which signed for this session, passes.
        assert_eq!(response.miner, request.miner);
        assert_eq!(response.miner, miner().hotkey());
        assert_eq!(
            verify_server_response(&response, &request, &OTHER_BINDING),
            Err(HandshakeError::BadSignature)
        );
    }
});

fn server_side(request: &HandshakeRequest) {
    let server = verifier();
    // Clocks at the edges must give typed errors too, never an overflow.
    for now in [0, u64::MAX] {
        let _ = verifier().verify_request(request, &BINDING, now);
    }
    let Ok(peer) = server.verify_request(request, &BINDING, NOW_MS) else {
        return;
    };
    // Only the validator that signed for this session passes, and only once.
    assert_eq!(peer, validator().hotkey());
    assert_eq!(peer, request.validator);
    assert_eq!(
        server.verify_request(request, &BINDING, NOW_MS),
        Err(HandshakeError::Replayed)
    );
    assert_eq!(
        verifier().verify_request(request, &OTHER_BINDING, NOW_MS),
        Err(HandshakeError::BadSignature)
    );
    // The honest answer to an accepted request verifies on the validator's side.
    let response = server.respond(request, &BINDING, NOW_MS);
    assert_eq!(verify_server_response(&response, request, &BINDING), Ok(()));
}
