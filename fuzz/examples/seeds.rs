//! Writes the seed corpora under fuzz/corpus/<target>/: small valid encodings of everything
//! the targets decode, so fuzzing starts from inputs that pass the first checks.
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --example seeds` (from the repository root).
//! Handshake seeds carry fresh random nonces, so a rerun changes their bytes, not their use.

use std::fs;
use std::path::Path;

use std::time::Duration;

use axonite::handshake::client_request;
use axonite::legacy::{LegacyCall, LegacySynapse, LegacyTarget, btauth_sign};
use axonite::protocol::codec::{encode_body, encode_frame, frame_bytes};
use axonite::protocol::{
    FrameHeader, FrameType, LaneResponseHead, RequestHead, ResponseHead, StreamEnd,
};
use axonite_fuzz::body::{Expr, sample_chunk, sample_query};
use axonite_fuzz::fixtures::{BINDING, NETUID, NOW_MS, miner, validator, verifier};

/// Any JSON object as a legacy synapse named `Summation`, for the seeds.
#[derive(serde::Serialize, serde::Deserialize)]
struct LegacySeed(serde_json::Value);

impl axonite::Synapse for LegacySeed {
    const NAME: &'static str = "Summation";
    type Response = serde_json::Value;
}

impl LegacySynapse for LegacySeed {
    const REQUIRED_HASH_FIELDS: &'static [&'static str] = &["values", "label", "scale"];
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let write = |target: &str, name: &str, bytes: &[u8]| -> std::io::Result<()> {
        let dir = root.join(target);
        fs::create_dir_all(&dir)?;
        fs::write(dir.join(name), bytes)
    };
    let cat = |parts: &[&[u8]]| parts.concat();

    let request = client_request(validator(), miner().hotkey(), NETUID, &BINDING, NOW_MS);
    let response = verifier().respond(&request, &BINDING, NOW_MS);
    let req_head = RequestHead {
        synapse: "Query".into(),
        request_id: 1,
        timeout_ms: 12_000,
    };
    let small_head = RequestHead {
        synapse: "Small".into(),
        request_id: 2,
        timeout_ms: 100,
    };
    let ok_head = ResponseHead {
        status: 200,
        message: "".into(),
        process_time_us: 850,
    };
    let refused = ResponseHead {
        status: 413,
        message: "too large".into(),
        process_time_us: 3,
    };
    let end = StreamEnd {
        status: 200,
        message: "".into(),
        process_time_us: 900,
        chunks: 2,
    };
    let lane_answer = LaneResponseHead {
        request_id: 7,
        status: 200,
        message: "".into(),
        process_time_us: 420,
    };
    let query = encode_body(&sample_query())?;
    let chunk = encode_body(&sample_chunk())?;

    let hs_req = encode_frame(FrameType::HandshakeRequest, &request)?;
    let hs_resp = encode_frame(FrameType::HandshakeResponse, &response)?;
    let req_head_f = encode_frame(FrameType::RequestHead, &req_head)?;
    let small_head_f = encode_frame(FrameType::RequestHead, &small_head)?;
    let ok_head_f = encode_frame(FrameType::ResponseHead, &ok_head)?;
    let refused_f = encode_frame(FrameType::ResponseHead, &refused)?;
    let end_f = encode_frame(FrameType::StreamEnd, &end)?;
    let query_f = frame_bytes(FrameType::Body, &query)?;
    let tiny_body_f = frame_bytes(FrameType::Body, &encode_body(&Expr::Lit(1))?)?;
    let chunk_f = frame_bytes(FrameType::StreamChunk, &chunk)?;
    let lane_head_f = encode_frame(FrameType::LaneRequestHead, &req_head)?;
    let lane_answer_f = encode_frame(FrameType::LaneResponseHead, &lane_answer)?;

    // frame_header: [type mask][limit u32 BE][header]
    let header = |mask: u8, limit: u32, ty: FrameType, len: u32| {
        cat(&[&[mask], &limit.to_be_bytes(), &FrameHeader::encode(ty, len)])
    };
    write(
        "frame_header",
        "request_head",
        &header(0b100, 4096, FrameType::RequestHead, 40),
    )?;
    write(
        "frame_header",
        "stream_any",
        &header(0b110_0000, 1 << 20, FrameType::StreamEnd, 9),
    )?;
    write(
        "frame_header",
        "too_large",
        &header(0b1_0000, 1024, FrameType::Body, u32::MAX),
    )?;

    // frame_stream: [role][limits][frames]
    write(
        "frame_stream",
        "miner",
        &cat(&[&[0, 0], &hs_req, &req_head_f, &query_f]),
    )?;
    write(
        "frame_stream",
        "miner_tight",
        &cat(&[&[0, 17], &hs_req, &small_head_f, &tiny_body_f]),
    )?;
    write(
        "frame_stream",
        "validator_unary",
        &cat(&[&[1, 0], &hs_resp, &ok_head_f, &query_f, &refused_f]),
    )?;
    write(
        "frame_stream",
        "validator_stream",
        &cat(&[&[2, 0], &hs_resp, &chunk_f, &chunk_f, &end_f]),
    )?;

    // envelope_decode: [frame type][payload]
    let payload = |frame: &[u8]| frame[FrameHeader::LEN..].to_vec();
    for (name, frame) in [
        ("handshake_request", &hs_req),
        ("handshake_response", &hs_resp),
        ("request_head", &req_head_f),
        ("response_head", &ok_head_f),
        ("stream_end", &end_f),
        ("stream_chunk", &chunk_f),
        ("body", &query_f),
        ("lane_request_head", &lane_head_f),
        ("lane_response_head", &lane_answer_f),
    ] {
        write(
            "envelope_decode",
            name,
            &cat(&[&[frame[0]], &payload(frame)]),
        )?;
    }

    // body_decode_depth: [depth][kind][body]
    let deep_expr = (0..20).fold(Expr::Lit(7), |e, _| Expr::Neg(Box::new(e)));
    let json = serde_json::json!({"a": [1, 2, {"b": [true, null, "x"]}], "c": 1.5});
    write("body_decode_depth", "query", &cat(&[&[64, 0], &query]))?;
    write(
        "body_decode_depth",
        "expr",
        &cat(&[&[64, 1], &encode_body(&deep_expr)?]),
    )?;
    write(
        "body_decode_depth",
        "json",
        &cat(&[&[64, 2], &encode_body(&json)?]),
    )?;
    write(
        "body_decode_depth",
        "nested_arrays",
        &cat(&[&[16, 2], &[0x91; 24], &[0]]),
    )?;

    // handshake_verify: [request frame][response frame]
    write("handshake_verify", "honest", &cat(&[&hs_req, &hs_resp]))?;
    write("handshake_verify", "request_only", &hs_req)?;

    // legacy_request: "<path>\n<name>: <value>...\n\n<body>", as a dendrite and a btauth/1
    // client send them, signed for the fixture miner at the fixture clock.
    let legacy = |path: &str, headers: &[(String, String)], body: &[u8]| {
        let mut text = path.to_owned();
        for (name, value) in headers {
            text.push_str(&format!("\n{name}: {value}"));
        }
        text.push_str("\n\n");
        cat(&[text.as_bytes(), body])
    };
    let summation = serde_json::json!({ "values": [1, 2, 3], "label": "it's", "scale": 0.5 });
    let target = LegacyTarget {
        axon: &miner().hotkey(),
        addr: "127.0.0.1:8091".parse()?,
        uuid: "5a1d2c3e-0000-4000-8000-000000000001",
        nonce: NOW_MS * 1_000_000,
        own_ip: "127.0.0.1",
    };
    let call = LegacyCall::new(
        &LegacySeed(summation.clone()),
        validator(),
        target,
        Duration::from_secs(12),
    )?;
    write(
        "legacy_request",
        "dendrite",
        &legacy(&call.path, &call.headers, &call.body),
    )?;
    let body = serde_json::to_vec(&summation)?;
    let signed = btauth_sign(
        validator(),
        "POST",
        "/Summation",
        &body,
        Some(&miner().hotkey()),
        NOW_MS * 1_000_000,
    );
    let headers: Vec<(String, String)> = signed
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    write(
        "legacy_request",
        "btauth",
        &legacy("/Summation", &headers, &body),
    )?;
    println!("seeds written under {}", root.display());
    Ok(())
}
