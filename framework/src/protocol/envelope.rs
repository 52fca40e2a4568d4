//! MessagePack envelopes, one per frame type. Envelopes are encoded as arrays (compact); the
//! user's body inside a request or response is opaque bytes here, decoded by the synapse.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::identity::Hotkey;

/// Payload of a [`FrameType::HandshakeRequest`](super::FrameType::HandshakeRequest): the
/// validator proves who it is, bound to this TLS session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandshakeRequest {
    /// Protocol version the validator speaks.
    pub version: u16,
    /// Subnet the validator believes it is talking in.
    pub netuid: u16,
    /// The validator's hotkey (the signer).
    pub validator: Hotkey,
    /// The miner hotkey the validator meant to reach (the only receiver that may accept it).
    pub miner: Hotkey,
    /// Milliseconds since the Unix epoch when the validator signed.
    pub timestamp_ms: u64,
    /// 128 random bits, never reused within the freshness window.
    #[serde(with = "serde_bytes")]
    pub nonce: [u8; 16],
    /// sr25519 signature of the validator over the client transcript.
    #[serde(with = "serde_bytes")]
    pub signature: [u8; 64],
}

/// Payload of a [`FrameType::HandshakeResponse`](super::FrameType::HandshakeResponse): the
/// miner proves who it is, bound to the same TLS session and to the validator's nonce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandshakeResponse {
    /// Protocol version the miner speaks.
    pub version: u16,
    /// The miner's hotkey (the signer).
    pub miner: Hotkey,
    /// Milliseconds since the Unix epoch when the miner signed.
    pub timestamp_ms: u64,
    /// The miner's own 128 random bits.
    #[serde(with = "serde_bytes")]
    pub nonce: [u8; 16],
    /// sr25519 signature of the miner over the server transcript.
    #[serde(with = "serde_bytes")]
    pub signature: [u8; 64],
}

/// Payload of a [`FrameType::RequestHead`](super::FrameType::RequestHead). The request body
/// follows in its own [`FrameType::Body`](super::FrameType::Body) frame, so the miner can
/// apply the synapse's size limit to the body's header before reading it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestHead<'a> {
    /// The synapse name, which selects the handler.
    #[serde(borrow)]
    pub synapse: Cow<'a, str>,
    /// Caller-chosen id, echoed in logs on both sides.
    pub request_id: u64,
    /// How long the caller will wait, in milliseconds; the miner uses it as the deadline.
    pub timeout_ms: u32,
}

/// Payload of a [`FrameType::ResponseHead`](super::FrameType::ResponseHead). On status 200 the
/// response body follows in a [`FrameType::Body`](super::FrameType::Body) frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseHead<'a> {
    /// Status code (see [`StatusCode`](super::StatusCode)).
    pub status: u16,
    /// Human-readable detail; empty on success. Never carries secrets or handler internals.
    #[serde(borrow)]
    pub message: Cow<'a, str>,
    /// Time the miner spent on the request, in microseconds.
    pub process_time_us: u64,
}

/// Payload of a [`FrameType::LaneResponseHead`](super::FrameType::LaneResponseHead): the
/// head of an answer on a lane, where answers may come in any order, so it names its request.
/// On status 200 the response body follows in a [`FrameType::Body`](super::FrameType::Body)
/// frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaneResponseHead<'a> {
    /// The `request_id` of the [`RequestHead`] this answers.
    pub request_id: u64,
    /// Status code (see [`StatusCode`](super::StatusCode)).
    pub status: u16,
    /// Human-readable detail; empty on success. Never carries secrets or handler internals.
    #[serde(borrow)]
    pub message: Cow<'a, str>,
    /// Time the miner spent on the request, in microseconds.
    pub process_time_us: u64,
}

/// Payload of a [`FrameType::StreamEnd`](super::FrameType::StreamEnd). (A
/// [`FrameType::StreamChunk`](super::FrameType::StreamChunk) payload is the MessagePack of
/// one chunk, with no envelope around it.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamEnd<'a> {
    /// Final status of the stream.
    pub status: u16,
    /// Human-readable detail; empty on success.
    #[serde(borrow)]
    pub message: Cow<'a, str>,
    /// Time the miner spent on the request, in microseconds.
    pub process_time_us: u64,
    /// Number of chunks the miner sent, so the validator can tell truncation from the end.
    pub chunks: u64,
}
