//! QUIC transport settings, TLS configuration and framed stream I/O.
//!
//! TLS 1.3 with the `ring` provider and ALPN `axonite/1`. Each process uses a fresh
//! self-signed certificate: the certificate only gives TLS a key to run with, and carries no
//! trust. Identity comes from the [handshake](crate::handshake), bound to the session through
//! [`session_binding`].

mod io;
mod reader;
mod settings;
mod shared_sender;
mod socket;
mod tls;

pub use io::{
    ReadFrameError, head_and_payload, read_end, read_frame, read_header, read_payload, write_frame,
    write_head_and_payload, write_payload_frame,
};
pub use reader::FrameReader;
pub use settings::TransportSettings;
pub use shared_sender::{SharedSendError, SharedSender};
pub use socket::{bind_endpoint, bind_udp};
pub use tls::{TlsError, client_config, client_config_with_alpn, server_config, session_binding};

/// The server name a validator puts in its TLS ClientHello. Not checked: trust comes from
/// the handshake, not from names or certificates.
pub const SERVER_NAME: &str = "axonite";

/// A connected pair on loopback for the transport's own tests.
#[cfg(test)]
pub(crate) mod loopback {
    use super::{SERVER_NAME, TransportSettings, client_config, server_config};

    /// Both endpoints (keep them alive), the client's connection and the server's, with
    /// Axonite's configs for `settings`; the server side is not authenticated yet.
    pub(crate) async fn pair(
        settings: &TransportSettings,
    ) -> ([quinn::Endpoint; 2], quinn::Connection, quinn::Connection) {
        let server = quinn::Endpoint::server(
            server_config(settings).unwrap(),
            "127.0.0.1:0".parse().unwrap(),
        )
        .unwrap();
        let addr = server.local_addr().unwrap();
        let mut client = quinn::Endpoint::client("127.0.0.1:0".parse().unwrap()).unwrap();
        client.set_default_client_config(client_config(settings).unwrap());
        let (to_server, at_server) = tokio::join!(
            async { client.connect(addr, SERVER_NAME).unwrap().await.unwrap() },
            async { server.accept().await.unwrap().await.unwrap() },
        );
        ([server, client], to_server, at_server)
    }
}
