//! Role `miner`: an Axonite miner serving [`BenchEcho`] on loopback.
//!
//! Prints `READY <addr> <hotkey>`, serves until stdin closes, then prints `STATS <json>` (its
//! counters) and shuts down.

use std::net::SocketAddr;
use std::time::Duration;

use axonite::Keypair;
use axonite::directory::{StaticDirectory, ValidatorInfo};
use axonite::identity::Hotkey;
use axonite_actors::Miner;
use axonite_actors::rate_limit::RateLimitConfig;
use serde::{Deserialize, Serialize};

use super::{Control, RoleError, say};
use crate::echo::{BenchEcho, EchoHandler};

/// The netuid every role uses.
pub const NETUID: u16 = 1;

/// Arguments of the `miner` role.
#[derive(Debug, Clone, clap::Args)]
pub struct MinerArgs {
    /// UDP address to listen on (loopback only).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// A known validator and its stake, as `<ss58>=<stake>` (repeatable).
    #[arg(long = "validator", value_parser = parse_validator)]
    pub validators: Vec<(Hotkey, f64)>,
    /// Rate-limit callers with the default stake tiers.
    #[arg(long)]
    pub rate_limits: bool,
    /// Requests waiting per synapse before the lowest priority is shed (default: the miner's).
    #[arg(long)]
    pub queue: Option<usize>,
    /// Worker actors per synapse (default: the miner's).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Authenticated connections held at once (default: the miner's, 4,096).
    #[arg(long)]
    pub max_connections: Option<usize>,
    /// Handshakes pending at once from one IP (default: the miner's, 16). Every bench client
    /// is 127.0.0.1, so a scenario opening many connections raises it.
    #[arg(long)]
    pub max_pending_per_ip: Option<usize>,
    /// No per-IP limit on new connections (the default allows 20/s, burst 100, per IP).
    #[arg(long)]
    pub no_connection_rate: bool,
    /// Per-stream receive window in bytes (default: the transport's, 2 MiB).
    #[arg(long)]
    pub stream_window: Option<u32>,
    /// Request streams allowed per authenticated connection (default: the transport's, 256).
    #[arg(long)]
    pub max_streams: Option<u32>,
}

pub(crate) fn parse_validator(s: &str) -> Result<(Hotkey, f64), String> {
    let (ss58, stake) = s
        .split_once('=')
        .ok_or_else(|| format!("expected <ss58>=<stake>, got `{s}`"))?;
    let hotkey = Hotkey::from_ss58(ss58).map_err(|e| e.to_string())?;
    let stake = stake
        .parse::<f64>()
        .map_err(|e| format!("bad stake `{stake}`: {e}"))?;
    Ok((hotkey, stake))
}

/// The validators named on the command line, with uids in their order and a permit each.
pub(crate) fn static_directory(validators: &[(Hotkey, f64)]) -> StaticDirectory {
    StaticDirectory::new(validators.iter().enumerate().map(|(uid, (hotkey, stake))| {
        let uid = u16::try_from(uid).unwrap_or(u16::MAX);
        (*hotkey, ValidatorInfo::new(uid, *stake, true))
    }))
}

/// What the miner counted, printed as `STATS <json>` when it stops.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MinerReport {
    /// Handshakes that authenticated a validator.
    pub handshakes_ok: u64,
    /// Connections refused before TLS because a cap was hit.
    pub refused_busy: u64,
    /// Requests refused 429 (per-caller quota).
    pub rate_limited: u64,
    /// Requests refused 429 (global budget).
    pub rate_limited_global: u64,
}

/// Runs the role until stdin closes.
pub async fn run(args: MinerArgs) -> Result<(), RoleError> {
    if !args.listen.ip().is_loopback() {
        return Err(RoleError::Usage(format!(
            "the bench binds loopback only, not {}",
            args.listen
        )));
    }
    let directory = static_directory(&args.validators);
    let mut builder = Miner::builder(Keypair::generate())
        .netuid(NETUID)
        .listen(args.listen)
        .directory(directory)
        .configure(|c| {
            if let Some(queue) = args.queue {
                c.queue_capacity = queue;
            }
            if let Some(workers) = args.workers {
                c.workers_per_synapse = workers;
            }
            if let Some(max) = args.max_connections {
                c.max_connections = max;
            }
            if let Some(max) = args.max_pending_per_ip {
                c.max_pending_per_ip = max;
            }
            if args.no_connection_rate {
                c.connection_rate_per_ip = None;
            }
            if let Some(window) = args.stream_window {
                c.transport.stream_receive_window = window;
            }
            if let Some(streams) = args.max_streams {
                c.transport.max_streams_per_connection = streams;
            }
        })
        .handler::<BenchEcho, _>(EchoHandler);
    if args.rate_limits {
        builder = builder.rate_limits(RateLimitConfig::default());
    }
    let miner = builder
        .start()
        .await
        .map_err(|e| RoleError::Start(e.to_string()))?;
    say(&format!("READY {} {}", miner.local_addr(), miner.hotkey()))?;
    Control::stdin().closed().await;
    let stats = miner.stats();
    let report = MinerReport {
        handshakes_ok: stats.handshakes_ok,
        refused_busy: stats.refused_busy,
        rate_limited: stats.rate_limited,
        rate_limited_global: stats.rate_limited_global,
    };
    say(&format!("STATS {}", serde_json::to_string(&report)?))?;
    miner.shutdown(Duration::from_secs(2)).await;
    Ok(())
}
