//! The `axonite/1` wire protocol as pure functions over bytes.
//!
//! Nothing here touches a socket: the runtime reads bytes from QUIC streams and hands them to
//! these functions, which makes every rule testable (and fuzzable) without a network.
//!
//! A stream carries frames: `[type: u8][len: u32 BE][payload]` ([`FrameHeader`]). Sizes are
//! checked against [`Limits`] from the 5-byte header alone, before a single payload byte is
//! read or allocated.
//!
//! After the handshake, each request has its own bidirectional stream:
//! ```text
//! validator -> miner   RequestHead{synapse, request_id, timeout_ms}   Body(msgpack request)   FIN
//! miner -> validator   ResponseHead{status, message, process_time}    Body(msgpack response)  FIN
//!                  or  StreamChunk(msgpack chunk) ... StreamEnd{status, message, chunks}      FIN
//! ```
//! Heads are small MessagePack arrays; splitting the body into its own frame lets a miner
//! refuse a body over its synapse's limit (413) from the body's header, without reading it.
//!
//! A stream per request costs QUIC stream bookkeeping and task wake-ups on both sides for
//! every request. So a validator also opens a *lane*: a long-lived bidirectional stream on
//! which it pipelines small unary requests (bodies up to [`LANE_MAX_BODY`]), each tagged with
//! its `request_id`; the miner answers each on the same lane as soon as it is done, in any
//! order, under a head that names the request:
//! ```text
//! validator -> miner   LaneRequestHead{synapse, request_id, timeout_ms}  Body   (repeated)
//! miner -> validator   LaneResponseHead{request_id, status, message, process_time}
//!                      Body on 200                                              (repeated)
//! ```
//! The first frame of a stream says which kind it is. Streaming synapses and larger bodies
//! keep a stream of their own, so one big transfer never holds up the small requests behind
//! it. A lane ends with the connection, or when either side finishes or resets it.
//!
//! ```
//! use axonite::protocol::{FrameHeader, FrameType, Limits, RequestHead, codec};
//!
//! let head = RequestHead { synapse: "Echo".into(), request_id: 7, timeout_ms: 1_000 };
//! let frame = codec::encode_frame(FrameType::RequestHead, &head).unwrap();
//! let limits = Limits::default();
//! let header = FrameHeader::parse(&frame, FrameType::RequestHead, limits.max_head_frame).unwrap();
//! assert_eq!(header.len as usize, frame.len() - FrameHeader::LEN);
//! let decoded: RequestHead<'_> = codec::decode_envelope(&frame[FrameHeader::LEN..]).unwrap();
//! assert_eq!(decoded, head);
//! ```

pub mod codec;
mod envelope;
mod frame;
mod limits;
mod nesting;
mod status;

pub use envelope::{
    HandshakeRequest, HandshakeResponse, LaneResponseHead, RequestHead, ResponseHead, StreamEnd,
};
pub use frame::{FrameError, FrameHeader, FrameType};
pub use limits::Limits;
pub use status::{CloseCode, StatusCode};

/// The protocol name, used as the TLS ALPN and in signed handshake transcripts.
pub const PROTOCOL_NAME: &str = "axonite/1";

/// The protocol version carried in handshakes. Bumped on incompatible wire changes.
pub const PROTOCOL_VERSION: u16 = 1;

/// The largest request body carried on a lane, in bytes. Larger requests go on a stream of
/// their own, so a big upload never stalls the small requests queued behind it on the lane.
/// A fixed part of the protocol (not a setting), so both sides always agree: a miner resets a
/// lane on which a larger body is announced.
pub const LANE_MAX_BODY: usize = 64 * 1024;
