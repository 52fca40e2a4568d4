//! Scenario `legacy`: the legacy HTTP path against the bittensor SDK's own axon. One load of
//! real bittensor 10.5.0 dendrites (`bench/python/legacy_load.py`, each keeping
//! `--concurrency` `Dummy` queries in flight) runs first against an Axonite miner's legacy
//! HTTP endpoint, then against a Python `bittensor.Axon` answering the same synapse
//! (`tests/python/axon_server.py`). Every process is separate; the SDK comes from
//! `scripts/python-sdk install`.

use std::path::PathBuf;
use std::time::Duration;

use axonite::Keypair;
use serde::{Deserialize, Serialize};
use tokio::process::Command;

use super::ScenarioError;
use crate::cpu::cpu_time;
use crate::proc::RoleProcess;
use crate::report::{Table, write_json};

/// How long a Python process may take to start (imports of the SDK take seconds).
const PYTHON_START: Duration = Duration::from_secs(60);

/// Arguments of the `legacy` scenario.
#[derive(Debug, Clone, clap::Args)]
pub struct LegacyArgs {
    /// Short run: 8 s per system unless given.
    #[arg(long)]
    pub quick: bool,
    /// Seconds of load per system (default 20, quick 8).
    #[arg(long)]
    pub duration: Option<f64>,
    /// Queries each dendrite process keeps in flight.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Dendrite processes (the Python client is CPU-bound; more processes, more load).
    #[arg(long, default_value_t = 1)]
    pub dendrites: usize,
    /// Also write the figures as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// What one dendrite process measured (`legacy_load.py`'s JSON line).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DendriteReport {
    /// Queries completed.
    pub requests: u64,
    /// Queries answered 200.
    pub ok: u64,
    /// 200 answers whose `dummy_output` was not twice the input.
    pub wrong_answers: u64,
    /// Answers by status code.
    pub statuses: std::collections::BTreeMap<String, u64>,
    /// Measured wall time, seconds.
    pub seconds: f64,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: f64,
    /// CPU the dendrite process spent, seconds.
    pub cpu_seconds: f64,
}

/// One system's figures.
#[derive(Debug, Clone, Serialize)]
pub struct SystemResult {
    /// `axonite` or `bittensor`.
    pub system: &'static str,
    /// Each dendrite process's report.
    pub dendrites: Vec<DendriteReport>,
    /// CPU the server spent during the load, seconds.
    pub server_cpu_secs: f64,
}

impl SystemResult {
    fn ok(&self) -> u64 {
        self.dendrites.iter().map(|d| d.ok).sum()
    }

    fn failed(&self) -> u64 {
        self.dendrites
            .iter()
            .map(|d| d.requests - d.ok + d.wrong_answers)
            .sum()
    }

    fn ok_per_second(&self) -> f64 {
        self.dendrites
            .iter()
            .map(|d| {
                if d.seconds > 0.0 {
                    d.ok as f64 / d.seconds
                } else {
                    0.0
                }
            })
            .sum()
    }

    /// The worst process's percentile (processes run side by side, so the slowest is what a
    /// validator sees).
    fn worst(&self, pick: fn(&DendriteReport) -> f64) -> f64 {
        self.dendrites.iter().map(pick).fold(0.0, f64::max)
    }

    fn server_cpu_ms_per_ok(&self) -> f64 {
        self.server_cpu_secs * 1e3 / self.ok().max(1) as f64
    }
}

#[derive(Serialize)]
struct Output<'a> {
    scenario: &'static str,
    duration_secs: f64,
    concurrency: usize,
    dendrites: usize,
    systems: &'a [SystemResult],
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn python() -> Result<PathBuf, ScenarioError> {
    let python = repo_root().join(".venv-bt10").join("bin").join("python");
    if python.exists() {
        Ok(python)
    } else {
        Err(ScenarioError::Usage(format!(
            "{} is missing: run `scripts/python-sdk install` first",
            python.display()
        )))
    }
}

/// Runs the load against both servers and prints the table.
pub async fn run(args: LegacyArgs) -> Result<(), ScenarioError> {
    let duration = args.duration.unwrap_or(if args.quick { 8.0 } else { 20.0 });
    if !(duration.is_finite() && duration > 0.0) || args.concurrency == 0 || args.dendrites == 0 {
        return Err(ScenarioError::Usage(
            "need a positive duration, concurrency and number of dendrites".into(),
        ));
    }
    let python = python()?;
    let dendrites: Vec<Keypair> = (0..args.dendrites).map(|_| Keypair::generate()).collect();
    let mut systems = Vec::new();

    // Axonite: the legacy HTTP endpoint of a miner that admits the dendrites.
    let mut role_args = vec!["--listen".to_owned(), "127.0.0.1:0".to_owned()];
    for d in &dendrites {
        role_args.push("--validator".into());
        role_args.push(format!("{}=1000", d.hotkey()));
    }
    let mut miner = RoleProcess::spawn("legacy-miner", &role_args)?;
    let ready = miner.expect("READY", Duration::from_secs(30)).await?;
    let (addr, hotkey) = ready
        .split_once(' ')
        .ok_or_else(|| garbled("READY", &ready))?;
    let addr: std::net::SocketAddr = addr.parse().map_err(|_| garbled("READY", &ready))?;
    systems.push(
        load(
            "axonite",
            &python,
            &args,
            duration,
            &dendrites,
            &miner,
            addr.port(),
            hotkey,
        )
        .await?,
    );
    miner.stop(Duration::from_secs(5)).await;

    // The SDK's axon, serving the same synapse.
    let mut command = Command::new(&python);
    command.arg(repo_root().join("tests/python/axon_server.py"));
    let mut axon = RoleProcess::spawn_command("python-axon", command)?;
    let line = axon.next_line(PYTHON_START).await?;
    let ready: serde_json::Value =
        serde_json::from_str(&line).map_err(|_| garbled("ready", &line))?;
    let port = ready["port"]
        .as_u64()
        .and_then(|p| u16::try_from(p).ok())
        .ok_or_else(|| garbled("ready", &line))?;
    let hotkey = ready["hotkey"]
        .as_str()
        .ok_or_else(|| garbled("ready", &line))?
        .to_owned();
    systems.push(
        load(
            "bittensor",
            &python,
            &args,
            duration,
            &dendrites,
            &axon,
            port,
            &hotkey,
        )
        .await?,
    );
    axon.stop(Duration::from_secs(5)).await;

    let title = format!(
        "legacy: bittensor 10.5.0 dendrites ({} process(es), {} in flight each) querying \
         `Dummy` over HTTP for {duration} s per server",
        args.dendrites, args.concurrency
    );
    println!("\n{title}\n\n{}", table(&systems).to_markdown());
    if let Some(path) = &args.json {
        write_json(
            path,
            &Output {
                scenario: "legacy",
                duration_secs: duration,
                concurrency: args.concurrency,
                dendrites: args.dendrites,
                systems: &systems,
            },
        )?;
    }
    Ok(())
}

fn garbled(what: &'static str, line: &str) -> ScenarioError {
    ScenarioError::Garbled {
        role: "legacy server",
        what,
        detail: line.chars().take(200).collect(),
    }
}

/// Runs the dendrite processes against one server and reads their reports.
#[allow(clippy::too_many_arguments)]
async fn load(
    system: &'static str,
    python: &PathBuf,
    args: &LegacyArgs,
    duration: f64,
    dendrites: &[Keypair],
    server: &RoleProcess,
    port: u16,
    hotkey: &str,
) -> Result<SystemResult, ScenarioError> {
    let mut procs = Vec::new();
    for keypair in dendrites {
        let mut command = Command::new(python);
        command
            .arg(repo_root().join("bench/python/legacy_load.py"))
            .args(["--ip", "127.0.0.1", "--port", &port.to_string()])
            .args(["--hotkey", hotkey])
            .args(["--concurrency", &args.concurrency.to_string()])
            .args(["--duration", &duration.to_string()])
            // A throwaway key made for this run; the environment is private to the process.
            .env(
                "AXONITE_BENCH_DENDRITE_SEED",
                format!("0x{}", hex::encode(keypair.seed())),
            );
        procs.push(RoleProcess::spawn_command("dendrite", command)?);
    }
    let cpu_before = cpu_time(server.pid())?;
    let mut reports = Vec::new();
    let within = PYTHON_START + Duration::from_secs_f64(duration * 2.0 + 30.0);
    for proc in &mut procs {
        let line = proc.next_line(within).await?;
        let report: DendriteReport =
            serde_json::from_str(&line).map_err(|e| ScenarioError::Garbled {
                role: "dendrite",
                what: "report",
                detail: e.to_string(),
            })?;
        reports.push(report);
    }
    let server_cpu_secs = cpu_time(server.pid())?
        .saturating_sub(cpu_before)
        .as_secs_f64();
    for proc in procs {
        proc.stop(Duration::from_secs(5)).await;
    }
    Ok(SystemResult {
        system,
        dendrites: reports,
        server_cpu_secs,
    })
}

fn table(systems: &[SystemResult]) -> Table {
    let mut table = Table::new(&[
        "server",
        "answered 200 /s",
        "p50 ms",
        "p99 ms",
        "server CPU ms per answer",
        "failed",
    ]);
    for s in systems {
        table.row(vec![
            s.system.to_owned(),
            format!("{:.1}", s.ok_per_second()),
            format!("{:.2}", s.worst(|d| d.p50_ms)),
            format!("{:.2}", s.worst(|d| d.p99_ms)),
            format!("{:.3}", s.server_cpu_ms_per_ok()),
            s.failed().to_string(),
        ]);
    }
    if let [axonite, python] = systems {
        let ratio = |a: f64, b: f64| {
            if b > 0.0 {
                format!("{:.2}", a / b)
            } else {
                "-".into()
            }
        };
        table.row(vec![
            "axonite/bittensor".into(),
            ratio(axonite.ok_per_second(), python.ok_per_second()),
            ratio(axonite.worst(|d| d.p50_ms), python.worst(|d| d.p50_ms)),
            ratio(axonite.worst(|d| d.p99_ms), python.worst(|d| d.p99_ms)),
            ratio(
                axonite.server_cpu_ms_per_ok(),
                python.server_cpu_ms_per_ok(),
            ),
            String::new(),
        ]);
    }
    table
}
