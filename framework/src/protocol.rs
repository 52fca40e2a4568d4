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

pub use envelope::{HandshakeRequest, HandshakeResponse, RequestHead, ResponseHead, StreamEnd};
pub use frame::{FrameError, FrameHeader, FrameType};
pub use limits::Limits;
pub use status::{CloseCode, StatusCode};

/// The protocol name, used as the TLS ALPN and in signed handshake transcripts.
pub const PROTOCOL_NAME: &str = "axonite/1";

/// The protocol version carried in handshakes. Bumped on incompatible wire changes.
pub const PROTOCOL_VERSION: u16 = 1;
