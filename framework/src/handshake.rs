//! Mutual authentication bound to the TLS session.
//!
//! The QUIC certificate is self-signed and carries no trust. Trust comes from this handshake,
//! run on the first stream of a connection: the validator signs a transcript holding the TLS
//! exporter keying material of *this* connection ([`SessionBinding`]), the protocol version,
//! both hotkeys, the netuid, a millisecond timestamp and a 128-bit nonce; the miner checks it
//! and signs a transcript of its own that also covers the validator's nonce.
//!
//! A relay that terminates TLS towards the validator and opens its own TLS session to the
//! miner cannot forward the validator's signature: the two TLS sessions have different keying
//! material, so the miner computes a different transcript and the signature fails. (Signing
//! a certificate fingerprint without proving ownership of the certificate, as btlightning
//! does, gives no such binding.)
//!
//! ```
//! use axonite::handshake::{HandshakeVerifier, ServerPolicy, client_request, verify_server_response};
//! use axonite::identity::Keypair;
//!
//! let (validator, miner) = (Keypair::generate(), Keypair::generate());
//! let binding = [7u8; 32]; // in real use: exported from the TLS session by both sides
//! let now = 1_700_000_000_000;
//! let request = client_request(&validator, miner.hotkey(), 1, &binding, now);
//! let server = HandshakeVerifier::new(miner, ServerPolicy::new(1));
//! let peer = server.verify_request(&request, &binding, now).unwrap();
//! assert_eq!(peer, validator.hotkey());
//! let response = server.respond(&request, &binding, now);
//! verify_server_response(&response, &request, &binding).unwrap();
//! ```

mod client;
mod error;
mod replay;
mod server;
mod transcript;

pub use client::{client_request, verify_server_response};
pub use error::HandshakeError;
pub use replay::{ReplayError, ReplayWindow};
pub use server::{HandshakeVerifier, ServerPolicy};

/// Keying material exported from the TLS session (RFC 5705 / RFC 8446 exporter) that both
/// ends of one connection share and no other connection has.
pub type SessionBinding = [u8; 32];

/// The exporter label used to derive the [`SessionBinding`].
pub const EXPORTER_LABEL: &[u8] = b"EXPORTER-axonite/1-handshake";

/// Milliseconds since the Unix epoch, as used in handshake timestamps.
pub fn unix_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// A fresh 128-bit nonce from the operating system's random source.
pub fn random_nonce() -> [u8; 16] {
    rand::random()
}
