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
}

impl Default for TransportSettings {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(30),
            keep_alive: Duration::from_secs(10),
            max_streams_per_connection: 256,
            stream_receive_window: 2 * 1024 * 1024,
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
}
