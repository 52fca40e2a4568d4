//! Role `fanout`: one Axonite validator sending the same [`BenchEcho`] to many miners at once
//! with `query_many`, round after round, timing each round until every miner answered.
//!
//! Reads the miners as `MINER <ss58>@<addr>` lines up to `END` on stdin, starts the validator
//! (not yet connected) and prints `READY`. After `GO`: the first round (which connects to
//! every miner) and the warm-up rounds, then `WARM`. After a second `GO`: the measured rounds,
//! then `RESULT <json>` (a [`FanoutReport`]).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use axonite::identity::Hotkey;
use axonite::{Keypair, Peer};
use axonite_actors::Validator;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::miner::NETUID;
use super::{Control, RoleError, say};
use crate::cpu::own_cpu_time;
use crate::echo::BenchEcho;
use crate::stats::{Recorder, Summary};

/// Arguments of the `fanout` role.
#[derive(Debug, Clone, clap::Args)]
pub struct FanoutArgs {
    /// Echo payload in bytes.
    #[arg(long, default_value_t = 1024)]
    pub payload: usize,
    /// Rounds after the first, not measured.
    #[arg(long)]
    pub warmup: usize,
    /// Measured rounds.
    #[arg(long)]
    pub rounds: usize,
    /// Per-query timeout in milliseconds (connect included in the first round).
    #[arg(long, default_value_t = 5_000)]
    pub timeout_ms: u64,
}

/// The first round: connect to every miner, handshake, echo.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FirstRound {
    /// Until the last miner answered, microseconds.
    pub elapsed_us: f64,
    /// Queries that did not get a 200.
    pub failed: u64,
}

/// What a `fanout` process measured, printed as `RESULT <json>`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FanoutReport {
    /// Miners per round.
    pub miners: usize,
    /// The first round, connects included.
    pub first_round: FirstRound,
    /// One sample per measured round: its time until every miner answered; status 200 when
    /// all did, else the status of its first failed query.
    pub rounds: Summary,
    /// Every query of the measured rounds by status.
    pub queries: BTreeMap<u16, u64>,
    /// CPU this process spent in the measured rounds, seconds.
    pub cpu_secs: f64,
    /// Wall time of the measured rounds, seconds.
    pub elapsed_secs: f64,
}

/// `<ss58>@<addr>`: how a miner is named on the harness's lines.
pub fn peer_spec(peer: &Peer) -> String {
    format!("{}@{}", peer.hotkey, peer.addr)
}

/// Reads a [`peer_spec`].
pub fn parse_peer_spec(spec: &str) -> Result<Peer, String> {
    let (hotkey, addr) = spec
        .split_once('@')
        .ok_or_else(|| format!("expected <ss58>@<addr>, got `{spec}`"))?;
    let hotkey = Hotkey::from_ss58(hotkey).map_err(|e| e.to_string())?;
    let addr: SocketAddr = addr.parse().map_err(|e| format!("bad address: {e}"))?;
    Ok(Peer::new(hotkey, addr))
}

/// Runs the role.
pub async fn run(args: FanoutArgs) -> Result<(), RoleError> {
    let mut control = Control::stdin();
    let peers = control
        .values("MINER")
        .await?
        .iter()
        .map(|spec| parse_peer_spec(spec))
        .collect::<Result<Vec<Peer>, String>>()
        .map_err(RoleError::Usage)?;
    if peers.is_empty() || args.rounds == 0 {
        return Err(RoleError::Usage(
            "need miners and at least one round".into(),
        ));
    }
    if let Some(peer) = peers.iter().find(|p| !p.addr.ip().is_loopback()) {
        return Err(RoleError::Usage(format!(
            "the bench talks to loopback only, not {}",
            peer.addr
        )));
    }
    let validator = Validator::builder(Keypair::generate())
        .netuid(NETUID)
        .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .start()
        .await
        .map_err(|e| RoleError::Start(e.to_string()))?;
    let fan = Fan {
        validator: &validator,
        peers: &peers,
        request: BenchEcho {
            payload: vec![0xAB; args.payload],
        },
        timeout: Duration::from_millis(args.timeout_ms),
    };
    say("READY")?;
    control.wait_for("GO").await?;

    let (elapsed, statuses) = fan.round().await;
    let first_round = FirstRound {
        elapsed_us: elapsed.as_secs_f64() * 1e6,
        failed: statuses.iter().filter(|&&s| s != 200).count() as u64,
    };
    for _ in 0..args.warmup {
        fan.round().await;
    }
    say("WARM")?;
    control.wait_for("GO").await?;

    let measured = async {
        let cpu_before = own_cpu_time().ok();
        let started = Instant::now();
        let mut rounds = Recorder::with_capacity(args.rounds);
        let mut queries = BTreeMap::new();
        for _ in 0..args.rounds {
            let (elapsed, statuses) = fan.round().await;
            let failed = statuses.iter().copied().find(|&s| s != 200);
            rounds.record(failed.unwrap_or(200), elapsed);
            for status in statuses {
                *queries.entry(status).or_insert(0u64) += 1;
            }
        }
        let elapsed = started.elapsed();
        let cpu = match (cpu_before, own_cpu_time().ok()) {
            (Some(before), Some(after)) => after.saturating_sub(before).as_secs_f64(),
            _ => 0.0,
        };
        FanoutReport {
            miners: peers.len(),
            first_round: first_round.clone(),
            rounds: rounds.summary(),
            queries,
            cpu_secs: cpu,
            elapsed_secs: elapsed.as_secs_f64(),
        }
    };
    // The harness closing our stdin means it is gone: stop at once.
    let report = tokio::select! {
        report = measured => report,
        () = control.closed() => std::process::exit(1),
    };
    say(&format!("RESULT {}", serde_json::to_string(&report)?))?;
    validator.shutdown().await;
    Ok(())
}

/// One validator, its miners and the request it fans out.
struct Fan<'a> {
    validator: &'a Validator,
    peers: &'a [Peer],
    request: BenchEcho,
    timeout: Duration,
}

impl Fan<'_> {
    /// One `query_many` to every miner: the time until all answered, and each one's status.
    async fn round(&self) -> (Duration, Vec<u16>) {
        let started = Instant::now();
        let results = self
            .validator
            .query_many(self.peers, &self.request, self.timeout)
            .await;
        let elapsed = started.elapsed();
        (elapsed, results.iter().map(|r| r.status().0).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_spec_reads_back() {
        let peer = Peer::new(
            Keypair::generate().hotkey(),
            "127.0.0.1:4242".parse().unwrap(),
        );
        assert_eq!(parse_peer_spec(&peer_spec(&peer)).unwrap(), peer);
    }

    #[test]
    fn bad_peer_specs_are_errors() {
        assert!(parse_peer_spec("127.0.0.1:4242").is_err());
        assert!(parse_peer_spec("nothex@127.0.0.1:4242").is_err());
        let hotkey = Keypair::generate().hotkey();
        assert!(parse_peer_spec(&format!("{hotkey}@nowhere")).is_err());
    }
}
