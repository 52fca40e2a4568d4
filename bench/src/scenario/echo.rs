//! Scenario `echo`: Axonite, btlightning and a bare quinn echo (the ceiling) side by side, each
//! server and each client in its own process, for several payload sizes: sequential latency,
//! throughput at 32 and 64 in flight, connection setup, and CPU per request on both sides.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::ScenarioError;
use super::axonite::{SETUP_TIMEOUT, start_miner, stop_miner};
use crate::cpu::cpu_time;
use crate::peers::System;
use crate::proc::RoleProcess;
use crate::report::{Table, write_json};
use crate::roles::load::LoadReport;

/// Arguments of the `echo` scenario.
#[derive(Debug, Clone, clap::Args)]
pub struct EchoArgs {
    /// Short measurements (the whole scenario in under two minutes).
    #[arg(long)]
    pub quick: bool,
    /// Payload sizes in bytes, comma separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "256,1024,10240,102400,1048576"
    )]
    pub payloads: Vec<usize>,
    /// Systems to measure, comma separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "axonite,btlightning,quinn"
    )]
    pub systems: Vec<System>,
    /// Measure every system this many times, the systems taking turns in each round, and
    /// report each figure's median over the rounds (ratios are of the medians). On a shared
    /// machine one round's ratios move by tens of percent as threads land on other cores;
    /// alternating rounds give every system the same spread of conditions.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub rounds: u32,
    /// Also write the figures as JSON to this file (every round's).
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// How long each measurement runs.
#[derive(Debug, Clone, Copy, Serialize)]
struct Plan {
    sequential_secs: f64,
    sequential_max: u64,
    inflight_secs: f64,
    connect_secs: f64,
    connect_max: u64,
}

impl Plan {
    fn new(quick: bool) -> Self {
        if quick {
            Self {
                sequential_secs: 0.8,
                sequential_max: 2_000,
                inflight_secs: 1.2,
                // 20 fresh clients at one per 100 ms.
                connect_secs: 2.0,
                connect_max: 100,
            }
        } else {
            Self {
                sequential_secs: 5.0,
                sequential_max: 20_000,
                inflight_secs: 10.0,
                // 100 fresh clients at one per 100 ms.
                connect_secs: 10.0,
                connect_max: 500,
            }
        }
    }
}

/// The measurements of one system at one payload size.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    /// The round (from 0) these were measured in.
    pub round: u32,
    /// The system.
    pub system: System,
    /// Payload bytes.
    pub payload: usize,
    /// One echo after another.
    pub sequential: Measured,
    /// 32 in flight on one connection.
    pub inflight32: Measured,
    /// 64 in flight on one connection.
    pub inflight64: Measured,
    /// Fresh client, connect, handshake, first echo.
    pub connect: Measured,
}

/// One client run and the server CPU it cost.
#[derive(Debug, Clone, Serialize)]
pub struct Measured {
    /// What the client measured.
    pub client: LoadReport,
    /// CPU the server spent meanwhile, seconds.
    pub server_cpu_secs: f64,
}

impl Measured {
    fn throughput(&self) -> f64 {
        per_second(self.client.summary.ok, self.client.elapsed_secs)
    }

    fn cpu_us_per_ok(&self, cpu_secs: f64) -> f64 {
        match self.client.summary.ok {
            0 => f64::NAN,
            ok => cpu_secs * 1e6 / ok as f64,
        }
    }
}

fn per_second(n: u64, secs: f64) -> f64 {
    if secs > 0.0 { n as f64 / secs } else { 0.0 }
}

/// Runs every system at every payload and prints the table.
pub async fn run(args: EchoArgs) -> Result<(), ScenarioError> {
    if args.payloads.is_empty() || args.systems.is_empty() {
        return Err(ScenarioError::Usage(
            "need at least one payload and one system".into(),
        ));
    }
    let plan = Plan::new(args.quick);
    let mut all = Vec::new();
    for round in 0..args.rounds {
        for &system in &args.systems {
            let server = Server::start(system).await?;
            for &payload in &args.payloads {
                eprintln!(
                    "echo: round {}/{}: {} {}",
                    round + 1,
                    args.rounds,
                    system.name(),
                    size(payload)
                );
                all.push(measure(&server, round, system, payload, plan).await?);
            }
            server.stop().await?;
        }
    }
    let rounds = match args.rounds {
        1 => String::new(),
        n => format!(", medians of {n} rounds"),
    };
    println!(
        "\necho: one client process and one server process per system, loopback; {} mode{rounds}\n",
        if args.quick { "quick" } else { "full" }
    );
    println!("{}", table(&args, &all).to_markdown());
    for note in failures(&all) {
        println!("{note}");
    }
    if let Some(path) = &args.json {
        #[derive(Serialize)]
        struct Output<'a> {
            scenario: &'static str,
            plan: Plan,
            results: &'a [Figures],
        }
        write_json(
            path,
            &Output {
                scenario: "echo",
                plan,
                results: &all,
            },
        )?;
    }
    Ok(())
}

/// A server process of one system and where its clients go.
struct Server {
    process: ServerProcess,
    addr: String,
    key: String,
}

enum ServerProcess {
    Miner(super::axonite::MinerProcess),
    Other(RoleProcess),
}

impl Server {
    async fn start(system: System) -> Result<Self, ScenarioError> {
        if system == System::Axonite {
            let miner = start_miner(Vec::new()).await?;
            let (addr, key) = (miner.peer.addr.to_string(), miner.peer.hotkey.to_ss58());
            return Ok(Self {
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
        Ok(Self {
            addr: addr.to_owned(),
            key: key.to_owned(),
            process: ServerProcess::Other(process),
        })
    }

    fn pid(&self) -> u32 {
        match &self.process {
            ServerProcess::Miner(m) => m.process.pid(),
            ServerProcess::Other(p) => p.pid(),
        }
    }

    async fn stop(self) -> Result<(), ScenarioError> {
        match self.process {
            ServerProcess::Miner(m) => stop_miner(m).await.map(|_| ()),
            ServerProcess::Other(p) => {
                p.stop(Duration::from_secs(5)).await;
                Ok(())
            }
        }
    }
}

async fn measure(
    server: &Server,
    round: u32,
    system: System,
    payload: usize,
    plan: Plan,
) -> Result<Figures, ScenarioError> {
    let run = |test: &'static str, inflight: usize, secs: f64, max: Option<u64>| {
        let mut args = vec![
            "--system".to_owned(),
            system.name().to_owned(),
            "--addr".to_owned(),
            server.addr.clone(),
            "--key".to_owned(),
            server.key.clone(),
            "--payload".to_owned(),
            payload.to_string(),
            "--test".to_owned(),
            test.to_owned(),
            "--inflight".to_owned(),
            inflight.to_string(),
            "--duration".to_owned(),
            secs.to_string(),
        ];
        if let Some(max) = max {
            args.extend(["--max-samples".to_owned(), max.to_string()]);
        }
        client_run(server.pid(), args, secs)
    };
    Ok(Figures {
        round,
        system,
        payload,
        sequential: run(
            "sequential",
            1,
            plan.sequential_secs,
            Some(plan.sequential_max),
        )
        .await?,
        inflight32: run("inflight", 32, plan.inflight_secs, None).await?,
        inflight64: run("inflight", 64, plan.inflight_secs, None).await?,
        connect: run("connect", 1, plan.connect_secs, Some(plan.connect_max)).await?,
    })
}

/// Runs one `echo-client` and reads the server's CPU around its measured part.
async fn client_run(
    server_pid: u32,
    args: Vec<String>,
    secs: f64,
) -> Result<Measured, ScenarioError> {
    let mut client = RoleProcess::spawn("echo-client", &args)?;
    client.expect("READY", SETUP_TIMEOUT).await?;
    let before = cpu_time(server_pid)?;
    client.send_line("GO").await?;
    // Every echo has a 10 s timeout; the last ones may start just before the end.
    let within = Duration::from_secs_f64(secs) + Duration::from_secs(40);
    let result = client.expect("RESULT", within).await?;
    let server_cpu = cpu_time(server_pid)?.saturating_sub(before);
    client.stop(Duration::from_secs(5)).await;
    let report: LoadReport = serde_json::from_str(&result).map_err(|e| ScenarioError::Garbled {
        role: "echo-client",
        what: "RESULT",
        detail: e.to_string(),
    })?;
    Ok(Measured {
        client: report,
        server_cpu_secs: server_cpu.as_secs_f64(),
    })
}

fn size(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KB", b >> 10),
        b => format!("{b} B"),
    }
}

/// The rows of the table: name and how to read the figure from one system's measurements.
type Metric = (&'static str, fn(&Figures) -> f64);

const METRICS: [Metric; 8] = [
    ("sequential p50 ms", |f| {
        f.sequential.client.summary.p50_us / 1e3
    }),
    ("sequential p99 ms", |f| {
        f.sequential.client.summary.p99_us / 1e3
    }),
    ("req/s, 32 in flight", |f| f.inflight32.throughput()),
    ("req/s, 64 in flight", |f| f.inflight64.throughput()),
    ("connect+first p50 ms", |f| {
        f.connect.client.summary.p50_us / 1e3
    }),
    ("connect+first p99 ms", |f| {
        f.connect.client.summary.p99_us / 1e3
    }),
    ("client CPU µs/req (32)", |f| {
        f.inflight32.cpu_us_per_ok(f.inflight32.client.cpu_secs)
    }),
    ("server CPU µs/req (32)", |f| {
        f.inflight32.cpu_us_per_ok(f.inflight32.server_cpu_secs)
    }),
];

fn table(args: &EchoArgs, all: &[Figures]) -> Table {
    let mut headers = vec!["payload", "metric"];
    headers.extend(args.systems.iter().map(|s| s.name()));
    let ratio_to: Vec<System> = [System::Btlightning, System::Quinn]
        .into_iter()
        .filter(|s| args.systems.contains(&System::Axonite) && args.systems.contains(s))
        .collect();
    let ratio_names: Vec<String> = ratio_to
        .iter()
        .map(|s| format!("axonite/{}", s.name()))
        .collect();
    headers.extend(ratio_names.iter().map(String::as_str));
    let mut t = Table::new(&headers);
    for &payload in &args.payloads {
        for (name, read) in METRICS {
            // The median over the rounds of one system's figure at this payload.
            let of = |system: System| {
                median(
                    all.iter()
                        .filter(|f| f.system == system && f.payload == payload)
                        .map(read)
                        .collect(),
                )
            };
            let mut row = vec![size(payload), name.to_owned()];
            row.extend(args.systems.iter().map(|&s| of(s).map_or("-".into(), fmt)));
            for &other in &ratio_to {
                let ratio = match (of(System::Axonite), of(other)) {
                    (Some(a), Some(b)) if b > 0.0 && a.is_finite() && b.is_finite() => {
                        format!("{:.2}", a / b)
                    }
                    _ => "-".into(),
                };
                row.push(ratio);
            }
            t.row(row);
        }
    }
    t
}

/// The median of the finite values (the mean of the middle two for an even count), `None`
/// if there is none.
fn median(mut values: Vec<f64>) -> Option<f64> {
    values.retain(|v| v.is_finite());
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        n if n % 2 == 1 => Some(values[n / 2]),
        n => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

fn fmt(v: f64) -> String {
    match v {
        v if !v.is_finite() => "-".into(),
        v if v >= 1_000.0 => format!("{v:.0}"),
        v if v >= 10.0 => format!("{v:.1}"),
        v => format!("{v:.3}"),
    }
}

/// A line per measurement where some echoes failed, so no figure hides its failures.
fn failures(all: &[Figures]) -> Vec<String> {
    let mut notes = Vec::new();
    for f in all {
        for (test, m) in [
            ("sequential", &f.sequential),
            ("32 in flight", &f.inflight32),
            ("64 in flight", &f.inflight64),
            ("connect", &f.connect),
        ] {
            let s = &m.client.summary;
            if s.ok < s.sent {
                notes.push(format!(
                    "note: round {} {} {} {test}: {} of {} echoes failed (by status: {:?})",
                    f.round + 1,
                    f.system.name(),
                    size(f.payload),
                    s.sent - s.ok,
                    s.sent,
                    s.by_status
                ));
            }
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_of_odd_and_even_counts_skips_what_is_not_finite() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(vec![5.0, f64::NAN, 1.0, f64::INFINITY]), Some(3.0));
        assert_eq!(median(vec![f64::NAN]), None);
        assert_eq!(median(Vec::new()), None);
    }
}
