//! The idle-connection part of `scale`: an Axonite miner, then bare quinn's echo server, each
//! with one `idle-client` process opening N connections and holding them.

use std::time::Duration;

use serde::Serialize;

use super::{Plan, ScaleArgs, num};
use crate::mem::{Rss, rss};
use crate::peers::System;
use crate::proc::RoleProcess;
use crate::report::Table;
use crate::roles::idle_client::Opened;
use crate::scenario::ScenarioError;
use crate::scenario::axonite::{SETUP_TIMEOUT, start_miner, stop_miner};
use crate::udp::socket_drops;

/// The goal for one idle connection on the miner, bytes.
const GOAL_BYTES_PER_CONNECTION: f64 = 64.0 * 1024.0;
/// Handshakes the miner lets one IP have pending at once, here: above any `--idle-parallel`
/// worth using, far above the default 16.
const PENDING_PER_IP: usize = 1_024;

/// One server's figures.
#[derive(Debug, Clone, Serialize)]
pub struct IdleFigures {
    /// The server: Axonite's miner, or bare quinn's echo server.
    pub system: System,
    /// The client's warm-up connections (open during both readings).
    pub warmup: Opened,
    /// The measured connections.
    pub opened: Opened,
    /// The server after the warm-up, settled.
    pub server_before: Rss,
    /// The server with every connection open, settled.
    pub server_after: Rss,
    /// The server once the client closed everything and left, settled.
    pub server_after_close: Rss,
    /// The client after the warm-up, settled.
    pub client_before: Rss,
    /// The client with every connection open, settled.
    pub client_after: Rss,
    /// Datagrams dropped at the server's and the client's sockets (receive buffer full)
    /// while the measured connections opened.
    pub drops: (u64, u64),
    /// Handshakes the miner counted (Axonite only).
    pub handshakes_ok: Option<u64>,
}

impl IdleFigures {
    fn per_connection(&self, before: u64, after: u64) -> f64 {
        match self.opened.ok {
            0 => f64::NAN,
            n => (after as f64 - before as f64) / n as f64,
        }
    }
}

/// A server whose memory is weighed.
struct Server {
    process: ServerProcess,
    addr: String,
    key: String,
}

enum ServerProcess {
    Miner(crate::scenario::axonite::MinerProcess),
    Quinn(RoleProcess),
}

impl Server {
    fn pid(&self) -> u32 {
        match &self.process {
            ServerProcess::Miner(m) => m.process.pid(),
            ServerProcess::Quinn(p) => p.pid(),
        }
    }
}

/// Measures the Axonite miner, then bare quinn.
pub(super) async fn measure(
    args: &ScaleArgs,
    plan: &Plan,
) -> Result<Vec<IdleFigures>, ScenarioError> {
    let mut all = Vec::with_capacity(2);
    for system in [System::Axonite, System::Quinn] {
        eprintln!("scale: {} idle connections to {}", plan.idle, system.name());
        all.push(one_server(args, plan, system).await?);
    }
    Ok(all)
}

async fn start_server(
    args: &ScaleArgs,
    plan: &Plan,
    system: System,
) -> Result<Server, ScenarioError> {
    if system == System::Axonite {
        let mut miner_args = vec![
            "--max-connections".to_owned(),
            (plan.idle + 1_024).to_string(),
            "--max-pending-per-ip".to_owned(),
            PENDING_PER_IP.to_string(),
            "--no-connection-rate".to_owned(),
        ];
        if let Some(window) = args.stream_window {
            miner_args.extend(["--stream-window".to_owned(), window.to_string()]);
        }
        if let Some(streams) = args.max_streams {
            miner_args.extend(["--max-streams".to_owned(), streams.to_string()]);
        }
        let miner = start_miner(miner_args).await?;
        let (addr, key) = (miner.peer.addr.to_string(), miner.peer.hotkey.to_ss58());
        return Ok(Server {
            process: ServerProcess::Miner(miner),
            addr,
            key,
        });
    }
    let args = vec!["--system".to_owned(), system.name().to_owned()];
    let mut process = RoleProcess::spawn("echo-server", &args)?;
    let ready = process.expect("READY", SETUP_TIMEOUT).await?;
    let (addr, key) = ready
        .split_once(' ')
        .ok_or_else(|| ScenarioError::Garbled {
            role: "echo-server",
            what: "READY",
            detail: ready.clone(),
        })?;
    Ok(Server {
        addr: addr.to_owned(),
        key: key.to_owned(),
        process: ServerProcess::Quinn(process),
    })
}

async fn one_server(
    args: &ScaleArgs,
    plan: &Plan,
    system: System,
) -> Result<IdleFigures, ScenarioError> {
    let settle = || tokio::time::sleep(Duration::from_secs_f64(plan.settle_secs));
    let server = start_server(args, plan, system).await?;
    let client_args = vec![
        "--system".to_owned(),
        system.name().to_owned(),
        "--addr".to_owned(),
        server.addr.clone(),
        "--key".to_owned(),
        server.key.clone(),
        "--connections".to_owned(),
        plan.idle.to_string(),
        "--parallel".to_owned(),
        args.idle_parallel.to_string(),
    ];
    let mut client = RoleProcess::spawn("idle-client", &client_args)?;
    client.expect("READY", SETUP_TIMEOUT).await?;
    client.send_line("GO").await?;
    let warmup = parse_opened("WARM", &client.expect("WARM", SETUP_TIMEOUT).await?)?;
    settle().await;
    let (server_before, client_before) = (rss(server.pid())?, rss(client.pid())?);
    let drops_before = (socket_drops(server.pid())?, socket_drops(client.pid())?);
    client.send_line("GO").await?;
    // Every connect is bounded by 10 s in the client; this only catches a stuck client.
    let within = SETUP_TIMEOUT + Duration::from_millis(20) * plan.idle as u32;
    let opened = parse_opened("OPEN", &client.expect("OPEN", within).await?)?;
    let drops = (
        socket_drops(server.pid())?.saturating_sub(drops_before.0),
        socket_drops(client.pid())?.saturating_sub(drops_before.1),
    );
    settle().await;
    let (server_after, client_after) = (rss(server.pid())?, rss(client.pid())?);
    client.stop(Duration::from_secs(5)).await;
    settle().await;
    let server_after_close = rss(server.pid())?;
    let handshakes_ok = match server.process {
        ServerProcess::Miner(miner) => Some(stop_miner(miner).await?.handshakes_ok),
        ServerProcess::Quinn(process) => {
            process.stop(Duration::from_secs(5)).await;
            None
        }
    };
    Ok(IdleFigures {
        system,
        warmup,
        opened,
        server_before,
        server_after,
        server_after_close,
        client_before,
        client_after,
        drops,
        handshakes_ok,
    })
}

fn parse_opened(what: &'static str, json: &str) -> Result<Opened, ScenarioError> {
    serde_json::from_str(json).map_err(|e| ScenarioError::Garbled {
        role: "idle-client",
        what,
        detail: e.to_string(),
    })
}

fn mib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / (1024.0 * 1024.0))
}

fn kib(bytes: f64) -> String {
    num(bytes / 1024.0)
}

/// The table rows of both servers.
pub(super) fn rows(table: &mut Table, all: &[IdleFigures]) {
    for f in all {
        let (part, server, goal) = match f.system {
            System::Axonite => (
                format!("{} idle, axonite", f.opened.ok),
                "miner",
                format!("< {}", GOAL_BYTES_PER_CONNECTION / 1024.0),
            ),
            _ => (
                format!("{} idle, bare quinn", f.opened.ok),
                "server",
                String::new(),
            ),
        };
        let rows = [
            (
                format!("{server} RSS MiB: before, all open, all closed"),
                format!(
                    "{} / {} / {}",
                    mib(f.server_before.total),
                    mib(f.server_after.total),
                    mib(f.server_after_close.total)
                ),
                String::new(),
            ),
            (
                format!("{server} KiB/connection (RSS)"),
                kib(f.per_connection(f.server_before.total, f.server_after.total)),
                goal,
            ),
            (
                format!("{server} KiB/connection (anonymous)"),
                kib(f.per_connection(f.server_before.anon, f.server_after.anon)),
                String::new(),
            ),
            (
                "client KiB/connection (RSS)".to_owned(),
                kib(f.per_connection(f.client_before.total, f.client_after.total)),
                String::new(),
            ),
            (
                format!("datagrams dropped while opening: {server} / client"),
                format!("{} / {}", f.drops.0, f.drops.1),
                String::new(),
            ),
            (
                "connects/s, handshake included".to_owned(),
                num(if f.opened.secs > 0.0 {
                    f.opened.ok as f64 / f.opened.secs
                } else {
                    f64::NAN
                }),
                String::new(),
            ),
        ];
        for (metric, value, goal) in rows {
            table.row(vec![part.clone(), metric, value, goal]);
        }
    }
}

/// Lines under the table: the miner's raised caps, and any failed connects.
pub(super) fn notes(args: &ScaleArgs, plan: &Plan, all: &[IdleFigures]) -> Vec<String> {
    if all.is_empty() {
        return Vec::new();
    }
    let mut knobs = String::new();
    if let Some(window) = args.stream_window {
        knobs.push_str(&format!(", stream receive window {window} B"));
    }
    if let Some(streams) = args.max_streams {
        knobs.push_str(&format!(", {streams} streams per connection"));
    }
    let mut notes = vec![format!(
        "idle: one client process, one QUIC endpoint, {} connections opened {} at a time \
         after {} warm-up ones, kept alive (QUIC keep-alive every 10 s); memory from \
         /proc/<pid>/status after {} s to settle. The miner's caps are raised for it: \
         max_connections {}, max_pending_per_ip {PENDING_PER_IP}, no per-IP connection \
         rate (defaults 4,096, 16, 20/s burst 100){knobs}",
        plan.idle,
        args.idle_parallel,
        all.first().map_or(0, |f| f.warmup.ok),
        plan.settle_secs,
        plan.idle + 1_024,
    )];
    for f in all {
        for (batch, o) in [("warm-up", &f.warmup), ("measured", &f.opened)] {
            if o.failed > 0 {
                notes.push(format!(
                    "note: {} {batch}: {} connects failed, first: {}",
                    f.system.name(),
                    o.failed,
                    o.first_error.as_deref().unwrap_or("?")
                ));
            }
        }
        if let Some(n) = f.handshakes_ok {
            let expected = (f.warmup.ok + f.opened.ok) as u64;
            if n != expected {
                notes.push(format!(
                    "note: the miner counted {n} handshakes, the client {expected}"
                ));
            }
        }
    }
    notes
}
