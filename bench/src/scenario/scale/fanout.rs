//! The fan-out part of `scale`: miner hosts, then one fresh validator process per size.

use std::time::Duration;

use axonite::Peer;
use serde::Serialize;

use super::{Plan, ScaleArgs, num};
use crate::cpu::cpu_time;
use crate::keys::END;
use crate::proc::RoleProcess;
use crate::report::Table;
use crate::roles::fanout::{FanoutReport, parse_peer_spec, peer_spec};
use crate::scenario::ScenarioError;
use crate::scenario::axonite::SETUP_TIMEOUT;
use crate::udp::socket_drops;

/// The goal for the p99 round at 256 miners, milliseconds.
const GOAL_P99_MS_AT_256: f64 = 20.0;

/// One fan-out size's figures.
#[derive(Debug, Clone, Serialize)]
pub struct FanoutFigures {
    /// What the validator process measured.
    pub validator: FanoutReport,
    /// CPU all miner hosts spent in the measured rounds, seconds.
    pub hosts_cpu_secs: f64,
    /// Datagrams dropped at the validator's socket (receive buffer full) in the first round
    /// and the warm-up.
    pub validator_drops_first: u64,
    /// Datagrams dropped at the validator's socket in the measured rounds.
    pub validator_drops: u64,
    /// Datagrams dropped at the miners' sockets in the measured rounds.
    pub hosts_drops: u64,
}

impl FanoutFigures {
    fn per_round_ms(&self, cpu_secs: f64) -> f64 {
        match self.validator.rounds.sent {
            0 => f64::NAN,
            n => cpu_secs * 1e3 / n as f64,
        }
    }
}

/// Starts the miner hosts, runs every size, stops the hosts.
pub(super) async fn measure(
    args: &ScaleArgs,
    plan: &Plan,
) -> Result<Vec<FanoutFigures>, ScenarioError> {
    let most = args.fanout.iter().copied().max().unwrap_or(0);
    let hosts = args.hosts.min(most);
    eprintln!("scale: starting {most} miners in {hosts} processes");
    let mut processes = Vec::with_capacity(hosts);
    let mut per_host = Vec::with_capacity(hosts);
    for h in 0..hosts {
        // Spread evenly: the first hosts take one more when it does not divide.
        let miners = most / hosts + usize::from(h < most % hosts);
        let args = vec!["--miners".to_owned(), miners.to_string()];
        let mut process = RoleProcess::spawn("miner-host", &args)?;
        let ready = process.expect("READY", SETUP_TIMEOUT).await?;
        per_host.push(parse_ready(&ready)?);
        processes.push(process);
    }
    // Interleave the hosts, so any prefix of the list is spread over all of them.
    let mut peers = Vec::with_capacity(most);
    for i in 0..per_host.iter().map(Vec::len).max().unwrap_or(0) {
        peers.extend(per_host.iter().filter_map(|h| h.get(i)).copied());
    }
    let pids: Vec<u32> = processes.iter().map(RoleProcess::pid).collect();
    let mut all = Vec::with_capacity(args.fanout.len());
    for &n in &args.fanout {
        eprintln!("scale: fan-out to {n} miners");
        all.push(one_size(args, plan, &peers[..n], &pids).await?);
    }
    for process in processes {
        process.stop(Duration::from_secs(5)).await;
    }
    Ok(all)
}

fn parse_ready(ready: &str) -> Result<Vec<Peer>, ScenarioError> {
    ready
        .split_whitespace()
        .map(parse_peer_spec)
        .collect::<Result<Vec<Peer>, String>>()
        .map_err(|detail| ScenarioError::Garbled {
            role: "miner-host",
            what: "READY",
            detail,
        })
}

fn hosts_cpu(pids: &[u32]) -> Result<Duration, ScenarioError> {
    let mut total = Duration::ZERO;
    for &pid in pids {
        total += cpu_time(pid)?;
    }
    Ok(total)
}

fn hosts_drops(pids: &[u32]) -> Result<u64, ScenarioError> {
    let mut total = 0;
    for &pid in pids {
        total += socket_drops(pid)?;
    }
    Ok(total)
}

/// A fresh validator process against `peers`: first round and warm-up, then measured rounds
/// with the hosts' CPU read around them.
async fn one_size(
    args: &ScaleArgs,
    plan: &Plan,
    peers: &[Peer],
    host_pids: &[u32],
) -> Result<FanoutFigures, ScenarioError> {
    let role_args = vec![
        "--payload".to_owned(),
        args.payload.to_string(),
        "--warmup".to_owned(),
        plan.warmup.to_string(),
        "--rounds".to_owned(),
        plan.rounds.to_string(),
        "--timeout-ms".to_owned(),
        args.timeout_ms.to_string(),
    ];
    let mut validator = RoleProcess::spawn("fanout", &role_args)?;
    for peer in peers {
        validator
            .send_line(&format!("MINER {}", peer_spec(peer)))
            .await?;
    }
    validator.send_line(END).await?;
    validator.expect("READY", SETUP_TIMEOUT).await?;
    let drops_start = socket_drops(validator.pid())?;
    validator.send_line("GO").await?;
    let timeout = Duration::from_millis(args.timeout_ms);
    let bound = |rounds: usize| timeout * u32::try_from(rounds).unwrap_or(u32::MAX);
    validator
        .expect("WARM", SETUP_TIMEOUT + bound(plan.warmup + 1))
        .await?;
    let drops_warm = socket_drops(validator.pid())?;
    let (cpu_before, hosts_drops_before) = (hosts_cpu(host_pids)?, hosts_drops(host_pids)?);
    validator.send_line("GO").await?;
    let result = validator
        .expect("RESULT", SETUP_TIMEOUT + bound(plan.rounds))
        .await?;
    let hosts_cpu_secs = hosts_cpu(host_pids)?
        .saturating_sub(cpu_before)
        .as_secs_f64();
    let hosts_drops = hosts_drops(host_pids)?.saturating_sub(hosts_drops_before);
    let validator_drops = socket_drops(validator.pid())?.saturating_sub(drops_warm);
    validator.stop(Duration::from_secs(5)).await;
    let report: FanoutReport =
        serde_json::from_str(&result).map_err(|e| ScenarioError::Garbled {
            role: "fanout",
            what: "RESULT",
            detail: e.to_string(),
        })?;
    Ok(FanoutFigures {
        validator: report,
        hosts_cpu_secs,
        validator_drops_first: drops_warm.saturating_sub(drops_start),
        validator_drops,
        hosts_drops,
    })
}

/// The table rows of every size.
pub(super) fn rows(table: &mut Table, all: &[FanoutFigures]) {
    for f in all {
        let v = &f.validator;
        let part = format!("fan-out to {}", v.miners);
        let goal = if v.miners == 256 {
            format!("< {GOAL_P99_MS_AT_256}")
        } else {
            String::new()
        };
        let failed: u64 = v
            .queries
            .iter()
            .filter(|(s, _)| **s != 200)
            .map(|(_, n)| n)
            .sum();
        let total: u64 = v.queries.values().sum();
        for (metric, value, goal) in [
            (
                "first round ms (connects)",
                num(v.first_round.elapsed_us / 1e3),
                String::new(),
            ),
            ("round p50 ms", num(v.rounds.p50_us / 1e3), String::new()),
            ("round p99 ms", num(v.rounds.p99_us / 1e3), goal),
            ("round max ms", num(v.rounds.max_us / 1e3), String::new()),
            (
                "validator CPU ms/round",
                num(f.per_round_ms(v.cpu_secs)),
                String::new(),
            ),
            (
                "miner hosts CPU ms/round",
                num(f.per_round_ms(f.hosts_cpu_secs)),
                String::new(),
            ),
            (
                "datagrams dropped, first+warm-up: validator",
                f.validator_drops_first.to_string(),
                String::new(),
            ),
            (
                "datagrams dropped, measured: validator / miners",
                format!("{} / {}", f.validator_drops, f.hosts_drops),
                String::new(),
            ),
            (
                "queries failed",
                format!("{failed} of {total}"),
                "0".to_owned(),
            ),
        ] {
            table.row(vec![part.clone(), metric.to_owned(), value, goal]);
        }
    }
}

/// Lines under the table: how the fan-out was set up, and any failures of the first round.
pub(super) fn notes(args: &ScaleArgs, plan: &Plan, all: &[FanoutFigures]) -> Vec<String> {
    if all.is_empty() {
        return Vec::new();
    }
    let mut notes = vec![format!(
        "fan-out: {} B echo, {} measured rounds after the first and {} warm-up, back to back; \
         miners in {} miner-host processes (2 workers per miner), the validator in its own; \
         CPU from /proc/<pid>/stat (10 ms ticks)",
        args.payload, plan.rounds, plan.warmup, args.hosts
    )];
    for f in all {
        let v = &f.validator;
        if v.first_round.failed > 0 {
            notes.push(format!(
                "note: fan-out to {}: {} queries of the first round failed",
                v.miners, v.first_round.failed
            ));
        }
        if v.rounds.ok < v.rounds.sent {
            notes.push(format!(
                "note: fan-out to {}: queries by status {:?}",
                v.miners, v.queries
            ));
        }
    }
    notes
}
