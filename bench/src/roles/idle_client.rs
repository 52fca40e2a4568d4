//! Role `idle-client`: opens many authenticated connections to one server from one QUIC
//! endpoint and keeps them idle, so the harness can weigh a connection on both sides.
//!
//! A [`Validator`](axonite_actors::Validator) holds one connection per miner, so this client
//! drives the `axonite/1` handshake itself with the framework's own pieces (TLS config,
//! session binding, signed request, response check): per connection it holds what a
//! validator's pool holds, a `quinn::Connection`, and sends QUIC keep-alives like it. Against
//! bare quinn it only connects.
//!
//! Prints `READY` once its endpoint is up. After `GO`: opens `--warmup` connections (so
//! first-use allocations and code pages land before the measurement) and prints
//! `WARM <json>`; after a second `GO`: opens `--connections` more and prints `OPEN <json>`
//! (an [`Opened`] each time). Holds them until stdin closes, then closes them and exits.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axonite::Keypair;
use axonite::handshake::{client_request, unix_millis, verify_server_response};
use axonite::identity::Hotkey;
use axonite::protocol::codec::{decode_envelope, encode_frame};
use axonite::protocol::{FrameType, HandshakeResponse, Limits};
use axonite::transport::{
    SERVER_NAME, TransportSettings, client_config, read_frame, session_binding, write_frame,
};
use serde::{Deserialize, Serialize};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::miner::NETUID;
use super::{Control, RoleError, say};
use crate::peers::System;

/// Connect plus handshake must finish within this.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Arguments of the `idle-client` role.
#[derive(Debug, Clone, clap::Args)]
pub struct IdleClientArgs {
    /// `axonite` (a miner) or `quinn` (the bare quinn echo server).
    #[arg(long, value_enum)]
    pub system: System,
    /// The server's address.
    #[arg(long)]
    pub addr: SocketAddr,
    /// The server's key from its `READY` line (a miner's hotkey, or `-`).
    #[arg(long)]
    pub key: String,
    /// Connections to open after the second `GO`.
    #[arg(long)]
    pub connections: usize,
    /// Connections to open first, before the measurement.
    #[arg(long, default_value_t = 16)]
    pub warmup: usize,
    /// Connections being opened at once.
    #[arg(long, default_value_t = 16)]
    pub parallel: usize,
    /// Validator keys the connections take turns with.
    #[arg(long, default_value_t = 8)]
    pub keys: usize,
}

/// What one batch of connects came to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Opened {
    /// Connections open and (for Axonite) authenticated.
    pub ok: usize,
    /// Connects that failed.
    pub failed: usize,
    /// The first failure's reason, if any.
    pub first_error: Option<String>,
    /// Wall time of the batch, seconds.
    pub secs: f64,
}

/// Where every connection goes and as whom.
struct Dialer {
    endpoint: quinn::Endpoint,
    config: quinn::ClientConfig,
    addr: SocketAddr,
    /// The miner's hotkey; `None` for bare quinn (no handshake).
    miner: Option<Hotkey>,
    keys: Vec<Keypair>,
    limits: Limits,
}

/// Runs the role.
pub async fn run(args: IdleClientArgs) -> Result<(), RoleError> {
    if !args.addr.ip().is_loopback() {
        return Err(RoleError::Usage(format!(
            "the bench talks to loopback only, not {}",
            args.addr
        )));
    }
    let miner = match args.system {
        System::Axonite => Some(
            Hotkey::from_ss58(&args.key)
                .map_err(|e| RoleError::Usage(format!("bad miner hotkey: {e}")))?,
        ),
        System::Quinn => None,
        System::Btlightning => {
            return Err(RoleError::Usage(
                "idle-client speaks axonite or bare quinn only".into(),
            ));
        }
    };
    let config = client_config(&TransportSettings::default())
        .map_err(|e| RoleError::Start(e.to_string()))?;
    let endpoint = quinn::Endpoint::client(SocketAddr::from(([127, 0, 0, 1], 0)))
        .map_err(|e| RoleError::Start(format!("cannot bind the endpoint: {e}")))?;
    let dialer = Arc::new(Dialer {
        endpoint,
        config,
        addr: args.addr,
        miner,
        keys: (0..args.keys.max(1)).map(|_| Keypair::generate()).collect(),
        limits: Limits::default(),
    });
    let mut control = Control::stdin();
    say("READY")?;
    control.wait_for("GO").await?;
    let (mut held, opened) = open_many(&dialer, args.warmup, args.parallel).await;
    say(&format!("WARM {}", serde_json::to_string(&opened)?))?;
    control.wait_for("GO").await?;
    let (more, opened) = open_many(&dialer, args.connections, args.parallel).await;
    held.extend(more);
    say(&format!("OPEN {}", serde_json::to_string(&opened)?))?;
    control.closed().await;
    for connection in &held {
        connection.close(0u32.into(), b"done");
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), dialer.endpoint.wait_idle()).await;
    Ok(())
}

/// Opens `count` connections, `parallel` at a time.
async fn open_many(
    dialer: &Arc<Dialer>,
    count: usize,
    parallel: usize,
) -> (Vec<quinn::Connection>, Opened) {
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = JoinSet::new();
    for _ in 0..parallel.clamp(1, count.max(1)) {
        let (dialer, next) = (dialer.clone(), next.clone());
        workers.spawn(async move {
            let mut outcomes = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    return outcomes;
                }
                let outcome = tokio::time::timeout(CONNECT_TIMEOUT, dialer.open(i))
                    .await
                    .unwrap_or_else(|_| Err("timed out".into()));
                outcomes.push(outcome);
            }
        });
    }
    let mut held = Vec::with_capacity(count);
    let mut opened = Opened::default();
    while let Some(done) = workers.join_next().await {
        for outcome in done.unwrap_or_default() {
            match outcome {
                Ok(connection) => held.push(connection),
                Err(e) => {
                    opened.failed += 1;
                    opened.first_error.get_or_insert(e);
                }
            }
        }
    }
    opened.ok = held.len();
    opened.secs = started.elapsed().as_secs_f64();
    (held, opened)
}

impl Dialer {
    /// Connects, and for Axonite proves key `i % keys` and checks the miner's answer.
    async fn open(&self, i: usize) -> Result<quinn::Connection, String> {
        let connection = self
            .endpoint
            .connect_with(self.config.clone(), self.addr, SERVER_NAME)
            .map_err(|e| e.to_string())?
            .await
            .map_err(|e| e.to_string())?;
        if let Some(miner) = self.miner {
            let keypair = &self.keys[i % self.keys.len()];
            self.handshake(&connection, keypair, miner).await?;
        }
        Ok(connection)
    }

    /// The validator's side of the `axonite/1` handshake on a fresh connection.
    async fn handshake(
        &self,
        connection: &quinn::Connection,
        keypair: &Keypair,
        miner: Hotkey,
    ) -> Result<(), String> {
        let binding = session_binding(connection).map_err(|e| e.to_string())?;
        let request = client_request(keypair, miner, NETUID, &binding, unix_millis());
        let (mut send, mut recv) = connection.open_bi().await.map_err(|e| e.to_string())?;
        let frame =
            encode_frame(FrameType::HandshakeRequest, &request).map_err(|e| e.to_string())?;
        write_frame(&mut send, &frame).await?;
        send.finish().map_err(|e| e.to_string())?;
        let (_, payload) = read_frame(
            &mut recv,
            &[FrameType::HandshakeResponse],
            self.limits.max_handshake_frame,
        )
        .await
        .map_err(|e| e.to_string())?;
        let response: HandshakeResponse = decode_envelope(&payload).map_err(|e| e.to_string())?;
        verify_server_response(&response, &request, &binding).map_err(|e| e.to_string())
    }
}
