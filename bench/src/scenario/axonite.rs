//! Starting and reading the Axonite roles (`miner`, `load`) from a scenario.

use std::net::SocketAddr;
use std::time::Duration;

use axonite::identity::Hotkey;
use axonite::{Keypair, Peer};
use serde::de::DeserializeOwned;

use super::ScenarioError;
use crate::keys::{END, seed_line};
use crate::proc::RoleProcess;
use crate::roles::load::LoadReport;
use crate::roles::miner::MinerReport;

/// How long a role may take to set up (debug builds, a loaded machine).
pub const SETUP_TIMEOUT: Duration = Duration::from_secs(60);

/// A running miner process and where to reach it.
pub struct MinerProcess {
    /// The process.
    pub process: RoleProcess,
    /// Its address and hotkey.
    pub peer: Peer,
}

/// Starts the `miner` role with `args` and reads its address and hotkey.
pub async fn start_miner(args: Vec<String>) -> Result<MinerProcess, ScenarioError> {
    let mut process = RoleProcess::spawn("miner", &args)?;
    let ready = process.expect("READY", SETUP_TIMEOUT).await?;
    let garbled = |detail: String| ScenarioError::Garbled {
        role: "miner",
        what: "READY",
        detail,
    };
    let (addr, hotkey) = ready
        .split_once(' ')
        .ok_or_else(|| garbled(ready.clone()))?;
    let addr: SocketAddr = addr.parse().map_err(|e| garbled(format!("{e}")))?;
    let hotkey = Hotkey::from_ss58(hotkey).map_err(|e| garbled(e.to_string()))?;
    Ok(MinerProcess {
        process,
        peer: Peer::new(hotkey, addr),
    })
}

/// Stops a miner (closing its stdin) and reads the counters it prints.
pub async fn stop_miner(mut miner: MinerProcess) -> Result<MinerReport, ScenarioError> {
    miner.process.close_stdin();
    let stats = miner.process.expect("STATS", SETUP_TIMEOUT).await?;
    miner.process.stop(Duration::from_secs(5)).await;
    parse("miner", "STATS", &stats)
}

/// Starts the `load` role against `peer` for `keypairs` (seeds go over stdin), with the
/// load's own `args`, and waits until every validator is connected.
pub async fn start_load(
    peer: &Peer,
    keypairs: &[Keypair],
    args: Vec<String>,
) -> Result<RoleProcess, ScenarioError> {
    let mut all = vec![
        "--miner".to_owned(),
        peer.addr.to_string(),
        "--miner-hotkey".to_owned(),
        peer.hotkey.to_ss58(),
    ];
    all.extend(args);
    let mut process = RoleProcess::spawn("load", &all)?;
    for keypair in keypairs {
        process.send_line(&seed_line(keypair)).await?;
    }
    process.send_line(END).await?;
    process.expect("READY", SETUP_TIMEOUT).await?;
    Ok(process)
}

/// Waits up to `within` for a load process's result, then lets it exit.
pub async fn finish_load(
    mut process: RoleProcess,
    within: Duration,
) -> Result<LoadReport, ScenarioError> {
    let result = process.expect("RESULT", within).await?;
    process.stop(Duration::from_secs(5)).await;
    parse("load", "RESULT", &result)
}

fn parse<T: DeserializeOwned>(
    role: &'static str,
    what: &'static str,
    json: &str,
) -> Result<T, ScenarioError> {
    serde_json::from_str(json).map_err(|e| ScenarioError::Garbled {
        role,
        what,
        detail: e.to_string(),
    })
}
