//! QUIC transport knobs shared by miners and validators.

use std::time::Duration;

/// QUIC transport settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportSettings {
    /// A connection with no traffic for this long is closed. Longer keeps idle validators
    /// connected; shorter frees miner memory sooner. Default 30 s.
    pub idle_timeout: Duration,
    /// Validators send a keep-alive this often so idle connections survive. Default 10 s.
    pub keep_alive: Duration,
    /// Concurrent request streams a miner allows per authenticated connection (before the
    /// handshake only one is allowed). Default 256.
    pub max_streams_per_connection: u32,
    /// Per-stream receive window in bytes: how much a peer may send ahead on one stream.
    /// Larger speeds up big bodies; smaller bounds memory per stream. Default 2 MiB.
    pub stream_receive_window: u32,
    /// What a miner buffers, in bytes, for a connection that has not authenticated yet (the
    /// connection-level QUIC receive window): room for the handshake frame
    /// ([`Limits::max_handshake_frame`](crate::protocol::Limits), 4 KiB by default) and
    /// nothing more, so a peer that sends data out of order or never completes the handshake
    /// pins at most this much per pending handshake, not a whole stream window. Raised to
    /// unlimited (streams keep their own window) once the peer is proven. Must exceed the
    /// handshake frame limit. Default 64 KiB.
    pub preauth_receive_window: u32,
    /// The UDP socket's kernel receive and send buffers, in bytes (capped by the kernel's
    /// `net.core.rmem_max` / `wmem_max`). A validator fanning out to hundreds of miners gets
    /// their answers in one burst: with Linux's default (208 KiB) the socket dropped
    /// datagrams at 256 miners and QUIC had to retransmit them. Default 4 MiB.
    pub socket_buffer: u32,
}

impl Default for TransportSettings {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(30),
            keep_alive: Duration::from_secs(10),
            max_streams_per_connection: 256,
            stream_receive_window: 2 * 1024 * 1024,
            preauth_receive_window: 64 * 1024,
            socket_buffer: 4 * 1024 * 1024,
        }
    }
}

impl TransportSettings {
    pub(crate) fn quinn(&self, max_bidi_streams: u32) -> quinn::TransportConfig {
        let mut t = quinn::TransportConfig::default();
        t.max_concurrent_bidi_streams(max_bidi_streams.into())
            .max_concurrent_uni_streams(0u32.into())
            .datagram_receive_buffer_size(None)
            .stream_receive_window(self.stream_receive_window.into())
            .max_idle_timeout(quinn::IdleTimeout::try_from(self.idle_timeout).ok());
        t
    }

    /// The server's transport: one stream and [`preauth_receive_window`] bytes until the
    /// runtime calls [`authenticated`](Self::authenticated).
    ///
    /// [`preauth_receive_window`]: Self::preauth_receive_window
    pub(crate) fn quinn_server(&self) -> quinn::TransportConfig {
        let mut t = self.quinn(1);
        t.receive_window(self.preauth_receive_window.into());
        t
    }

    /// Opens an authenticated connection up: [`max_streams_per_connection`] streams, and no
    /// connection-level receive limit beyond each stream's window.
    ///
    /// [`max_streams_per_connection`]: Self::max_streams_per_connection
    pub fn authenticated(&self, connection: &quinn::Connection) {
        connection.set_max_concurrent_bi_streams(self.max_streams_per_connection.into());
        connection.set_receive_window(quinn::VarInt::MAX);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::transport::loopback;

    /// Bound of each write below: a write that flow control blocks stays blocked.
    const BLOCKED: Duration = Duration::from_millis(500);

    #[tokio::test]
    async fn an_unauthenticated_peer_can_send_only_the_preauth_window() {
        let settings = TransportSettings::default();
        let (_endpoints, to_server, server_conn) = loopback::pair(&settings).await;
        // The server never reads: what the client gets to send is what the server buffers.
        let (mut send, _recv) = to_server.open_bi().await.unwrap();
        let big = vec![7u8; 1024 * 1024];
        let wrote = tokio::time::timeout(BLOCKED, send.write_all(&big)).await;
        assert!(wrote.is_err(), "1 MiB went through before authentication");
        let sent = to_server.stats().udp_tx.bytes;
        assert!(
            sent < 2 * u64::from(settings.preauth_receive_window) + 16 * 1024,
            "the client sent {sent} bytes before authentication"
        );

        // Once the peer is proven, the stream window (2 MiB) is the only limit.
        settings.authenticated(&server_conn);
        tokio::time::timeout(Duration::from_secs(10), send.write_all(&big))
            .await
            .expect("the rest goes through once authenticated")
            .unwrap();
    }
}
