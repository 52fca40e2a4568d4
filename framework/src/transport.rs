//! QUIC transport settings, TLS configuration and framed stream I/O.
//!
//! TLS 1.3 with the `ring` provider and ALPN `axonite/1`. Each process uses a fresh
//! self-signed certificate: the certificate only gives TLS a key to run with, and carries no
//! trust. Identity comes from the [handshake](crate::handshake), bound to the session through
//! [`session_binding`].

mod io;
mod reader;
mod settings;
mod socket;
mod tls;

pub use io::{
    ReadFrameError, read_end, read_frame, read_header, read_payload, write_frame,
    write_head_and_payload, write_payload_frame,
};
pub use reader::FrameReader;
pub use settings::TransportSettings;
pub use socket::{bind_endpoint, bind_udp};
pub use tls::{TlsError, client_config, client_config_with_alpn, server_config, session_binding};

/// The server name a validator puts in its TLS ClientHello. Not checked: trust comes from
/// the handshake, not from names or certificates.
pub const SERVER_NAME: &str = "axonite";
