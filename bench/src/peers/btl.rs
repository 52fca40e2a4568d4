//! btlightning 0.2.15 (crates.io) as an echo server and client, used as its README shows,
//! with an async handler (btlightning runs sync handlers on a blocking thread) and its
//! per-IP handshake rate limit raised so the connection-setup loop is not refused.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axonite::Keypair;
use btlightning::{
    AsyncSynapseHandler, LightningClient, LightningServer, LightningServerConfig, QuicAxonInfo,
    QuicRequest, Sr25519Signer,
};
use rmpv::Value;

use super::{EchoError, Target};

/// The synapse name and the map key the payload travels under.
const SYNAPSE: &str = "echo";
const KEY: &str = "payload";
/// Per-request timeout, as for the other systems.
const TIMEOUT: Duration = Duration::from_secs(10);

struct Echo;

#[async_trait::async_trait]
impl AsyncSynapseHandler for Echo {
    async fn handle(
        &self,
        _synapse_type: &str,
        data: HashMap<String, Value>,
    ) -> btlightning::Result<HashMap<String, Value>> {
        Ok(data)
    }
}

/// A running btlightning server.
pub struct BtlServer {
    server: Arc<LightningServer>,
    serving: tokio::task::JoinHandle<()>,
}

impl BtlServer {
    /// Starts an echo server with a fresh miner key on `listen` (an IPv4 address).
    pub async fn start(listen: SocketAddr) -> Result<(Self, Target), String> {
        let keypair = Keypair::generate();
        let hotkey = keypair.hotkey().to_ss58();
        let config = LightningServerConfig::builder()
            .max_handshake_attempts_per_minute(1_000_000)
            .max_connections(4_096)
            .build()
            .map_err(|e| e.to_string())?;
        let mut server = LightningServer::with_config(
            hotkey.clone(),
            listen.ip().to_string(),
            listen.port(),
            config,
        )
        .map_err(|e| e.to_string())?;
        server.set_miner_keypair(*keypair.seed());
        server
            .register_async_synapse_handler(SYNAPSE.to_owned(), Arc::new(Echo))
            .await
            .map_err(|e| e.to_string())?;
        server.start().await.map_err(|e| e.to_string())?;
        let addr = server.local_addr().map_err(|e| e.to_string())?;
        let server = Arc::new(server);
        let s = server.clone();
        let serving = tokio::spawn(async move {
            if let Err(e) = s.serve_forever().await {
                eprintln!("btlightning server stopped: {e}");
            }
        });
        Ok((Self { server, serving }, Target { addr, key: hotkey }))
    }

    /// Stops the server.
    pub async fn stop(self) {
        let _ = self.server.stop().await;
        self.serving.abort();
    }
}

/// A btlightning client with an authenticated connection to one server.
pub struct BtlClient {
    client: LightningClient,
    axon: QuicAxonInfo,
}

impl BtlClient {
    /// Creates a client with a fresh validator key and connects it to `target`.
    pub async fn connect(target: &Target) -> Result<Self, EchoError> {
        let keypair = Keypair::generate();
        let mut client = LightningClient::new(keypair.hotkey().to_ss58());
        client.set_signer(Box::new(Sr25519Signer::from_seed(*keypair.seed())));
        let axon = QuicAxonInfo {
            hotkey: target.key.clone(),
            ip: target.addr.ip().to_string(),
            port: target.addr.port(),
            protocol: 4,
        };
        client
            .initialize_connections(vec![axon.clone()])
            .await
            .map_err(|e| EchoError::Connect(e.to_string()))?;
        Ok(Self { client, axon })
    }

    /// Echoes `payload`; returns the length received. btlightning's API takes the request
    /// by value, so each call builds its map (as any btlightning user does).
    pub async fn echo(&self, payload: &[u8]) -> Result<usize, EchoError> {
        let request = QuicRequest {
            synapse_type: SYNAPSE.to_owned(),
            data: HashMap::from([(KEY.to_owned(), Value::Binary(payload.to_vec()))]),
        };
        let failed = |message: String| EchoError::Failed {
            status: 500,
            message,
        };
        let response = self
            .client
            .query_axon_with_timeout(self.axon.clone(), request, TIMEOUT)
            .await
            .map_err(|e| failed(e.to_string()))?;
        if !response.success {
            return Err(failed(response.error.unwrap_or_default()));
        }
        match response.data.get(KEY) {
            Some(Value::Binary(bytes)) => Ok(bytes.len()),
            _ => Err(failed("no payload in the response".into())),
        }
    }

    /// Closes the client's connections.
    pub async fn close(self) {
        let _ = self.client.close_all_connections().await;
    }
}
