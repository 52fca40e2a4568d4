//! The ceiling: a bare quinn echo. One bidirectional stream per request carrying the raw
//! payload each way: no handshake, no frames or codec, no actors. TLS is Axonite's own setup
//! (`axonite::transport`: rustls with ring, TLS 1.3, a self-signed rcgen certificate) and the
//! transport knobs are Axonite's defaults, so the gap to Axonite is what Axonite adds.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axonite::transport::{SERVER_NAME, TransportSettings, client_config, server_config};
use quinn::{Endpoint, RecvStream, SendStream};

use super::{EchoError, Target};

/// Largest payload either side reads.
const MAX_PAYLOAD: usize = 16 * 1024 * 1024;

/// Axonite's default transport knobs, for an authenticated connection.
fn transport() -> quinn::TransportConfig {
    let settings = TransportSettings::default();
    let mut t = quinn::TransportConfig::default();
    t.max_concurrent_bidi_streams(settings.max_streams_per_connection.into())
        .max_concurrent_uni_streams(0u32.into())
        .stream_receive_window(settings.stream_receive_window.into())
        .max_idle_timeout(quinn::IdleTimeout::try_from(settings.idle_timeout).ok());
    t
}

/// A running bare quinn echo server.
pub struct QuinnServer {
    endpoint: Endpoint,
    accepting: tokio::task::JoinHandle<()>,
}

impl QuinnServer {
    /// Listens on `listen` and echoes every stream of every connection.
    pub fn start(listen: SocketAddr) -> Result<(Self, Target), String> {
        let mut config = server_config(&TransportSettings::default()).map_err(|e| e.to_string())?;
        config.transport_config(Arc::new(transport()));
        let endpoint = Endpoint::server(config, listen).map_err(|e| e.to_string())?;
        let addr = endpoint.local_addr().map_err(|e| e.to_string())?;
        let ep = endpoint.clone();
        let accepting = tokio::spawn(async move {
            while let Some(incoming) = ep.accept().await {
                tokio::spawn(async move {
                    let Ok(conn) = incoming.await else { return };
                    while let Ok((send, recv)) = conn.accept_bi().await {
                        tokio::spawn(echo_stream(send, recv));
                    }
                });
            }
        });
        let target = Target {
            addr,
            key: "-".to_owned(),
        };
        Ok((
            Self {
                endpoint,
                accepting,
            },
            target,
        ))
    }

    /// Closes the endpoint.
    pub async fn stop(self) {
        self.endpoint.close(0u32.into(), b"done");
        self.accepting.abort();
        let _ = tokio::time::timeout(Duration::from_secs(1), self.endpoint.wait_idle()).await;
    }
}

async fn echo_stream(mut send: SendStream, mut recv: RecvStream) {
    if let Ok(data) = recv.read_to_end(MAX_PAYLOAD).await
        && send.write_all(&data).await.is_ok()
    {
        let _ = send.finish();
    }
}

/// A bare quinn connection to the echo server.
pub struct QuinnClient {
    endpoint: Endpoint,
    conn: quinn::Connection,
}

impl QuinnClient {
    /// Opens a fresh endpoint and connects it to `target`.
    pub async fn connect(target: &Target) -> Result<Self, EchoError> {
        let err = |e: String| EchoError::Connect(e);
        let mut endpoint = Endpoint::client(SocketAddr::from(([127, 0, 0, 1], 0)))
            .map_err(|e| err(e.to_string()))?;
        endpoint.set_default_client_config(
            client_config(&TransportSettings::default()).map_err(|e| err(e.to_string()))?,
        );
        let conn = endpoint
            .connect(target.addr, SERVER_NAME)
            .map_err(|e| err(e.to_string()))?
            .await
            .map_err(|e| err(e.to_string()))?;
        Ok(Self { endpoint, conn })
    }

    /// Echoes `payload`; returns the length received.
    pub async fn echo(&self, payload: &[u8]) -> Result<usize, EchoError> {
        let failed = |message: String| EchoError::Failed {
            status: 503,
            message,
        };
        let (mut send, mut recv) = self
            .conn
            .open_bi()
            .await
            .map_err(|e| failed(e.to_string()))?;
        send.write_all(payload)
            .await
            .map_err(|e| failed(e.to_string()))?;
        send.finish().map_err(|e| failed(e.to_string()))?;
        let back = recv
            .read_to_end(MAX_PAYLOAD)
            .await
            .map_err(|e| failed(e.to_string()))?;
        Ok(back.len())
    }

    /// Closes the connection and the endpoint.
    pub async fn close(self) {
        self.conn.close(0u32.into(), b"done");
        let _ = tokio::time::timeout(Duration::from_secs(1), self.endpoint.wait_idle()).await;
    }
}
