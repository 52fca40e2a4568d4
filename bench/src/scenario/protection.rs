//! Scenario `protection`: one honest validator at a fixed rate while low-stake validators
//! flood the same miner, run twice: without rate limits, then with the default stake tiers
//! (and a smaller queue). Every process is separate: miner, honest validator, attackers.

use std::path::PathBuf;
use std::time::Duration;

use axonite::Keypair;
use serde::Serialize;
use tokio::time::Instant;

use super::ScenarioError;
use super::axonite::{finish_load, start_load, start_miner, stop_miner};
use crate::cpu::cpu_time;
use crate::proc::RoleProcess;
use crate::report::{Table, ms, percent, write_json};
use crate::roles::load::LoadReport;
use crate::roles::miner::MinerReport;

/// The honest validator's stake: the top default rate-limit tier (1,000 req/s).
const HONEST_STAKE: f64 = 50_000.0;
/// The attackers' stake: the bottom tier (10 req/s, burst 20).
const ATTACKER_STAKE: f64 = 10.0;

/// Arguments of the `protection` scenario.
#[derive(Debug, Clone, clap::Args)]
pub struct ProtectionArgs {
    /// Short run: 10 s per mode and 4 attackers unless given (whole scenario under a minute).
    #[arg(long)]
    pub quick: bool,
    /// Attacking validators (default 8, quick 4).
    #[arg(long)]
    pub attackers: Option<usize>,
    /// Seconds of load per mode (default 30, quick 10).
    #[arg(long)]
    pub duration: Option<f64>,
    /// The honest validator's requests per second.
    #[arg(long, default_value_t = 200.0)]
    pub rate: f64,
    /// Echo payload in bytes.
    #[arg(long, default_value_t = 1024)]
    pub payload: usize,
    /// Requests each attacker keeps in flight.
    #[arg(long, default_value_t = 64)]
    pub attacker_inflight: usize,
    /// Processes the attackers are spread over.
    #[arg(long, default_value_t = 1)]
    pub attacker_procs: usize,
    /// The miner's queue per synapse when protection is on.
    #[arg(long, default_value_t = 256)]
    pub protected_queue: usize,
    /// Per-request timeout in milliseconds (a timed-out request counts as failed).
    #[arg(long, default_value_t = 2_000)]
    pub timeout_ms: u64,
    /// Also write the figures as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// One mode's figures.
#[derive(Debug, Clone, Serialize)]
pub struct ModeResult {
    /// `off` or `on`.
    pub protection: &'static str,
    /// The honest validator's requests.
    pub honest: LoadReport,
    /// All attackers' requests together (latency percentiles are left out).
    pub attackers: LoadReport,
    /// The miner's own counters.
    pub miner: MinerReport,
    /// CPU the miner spent during the run, seconds.
    pub miner_cpu_secs: f64,
    /// Wall time of the run, seconds.
    pub wall_secs: f64,
}

#[derive(Serialize)]
struct Output<'a> {
    scenario: &'static str,
    attackers: usize,
    duration_secs: f64,
    honest_rate: f64,
    payload: usize,
    attacker_inflight: usize,
    modes: &'a [ModeResult],
}

/// Runs both modes and prints the table.
pub async fn run(args: ProtectionArgs) -> Result<(), ScenarioError> {
    let attackers = args.attackers.unwrap_or(if args.quick { 4 } else { 8 });
    let duration = args
        .duration
        .unwrap_or(if args.quick { 10.0 } else { 30.0 });
    if attackers == 0 || !(duration.is_finite() && duration > 0.0) || args.rate <= 0.0 {
        return Err(ScenarioError::Usage(
            "need at least one attacker, a positive duration and a positive rate".into(),
        ));
    }
    let mut modes = Vec::new();
    for protected in [false, true] {
        modes.push(run_mode(&args, attackers, duration, protected).await?);
    }
    let title = format!(
        "protection: 1 honest validator (stake {HONEST_STAKE}) at {} req/s vs {attackers} \
         attackers (stake {ATTACKER_STAKE}) with {} in flight each, {} B echo, {duration} s per mode",
        args.rate, args.attacker_inflight, args.payload
    );
    println!("\n{title}\n\n{}", table(&modes).to_markdown());
    if let Some(path) = &args.json {
        write_json(
            path,
            &Output {
                scenario: "protection",
                attackers,
                duration_secs: duration,
                honest_rate: args.rate,
                payload: args.payload,
                attacker_inflight: args.attacker_inflight,
                modes: &modes,
            },
        )?;
    }
    Ok(())
}

async fn run_mode(
    args: &ProtectionArgs,
    attackers: usize,
    duration: f64,
    protected: bool,
) -> Result<ModeResult, ScenarioError> {
    let honest = Keypair::generate();
    let flooders: Vec<Keypair> = (0..attackers).map(|_| Keypair::generate()).collect();

    let mut miner_args = vec![
        "--validator".to_owned(),
        format!("{}={HONEST_STAKE}", honest.hotkey()),
    ];
    for k in &flooders {
        miner_args.push("--validator".to_owned());
        miner_args.push(format!("{}={ATTACKER_STAKE}", k.hotkey()));
    }
    if protected {
        miner_args.push("--rate-limits".to_owned());
        miner_args.push("--queue".to_owned());
        miner_args.push(args.protected_queue.to_string());
    }
    let miner = start_miner(miner_args).await?;

    let common = |mode: [String; 2]| {
        let mut a = vec![
            "--payload".to_owned(),
            args.payload.to_string(),
            "--duration".to_owned(),
            duration.to_string(),
            "--timeout-ms".to_owned(),
            args.timeout_ms.to_string(),
        ];
        a.extend(mode);
        a
    };
    let honest_args = common(["--rate".to_owned(), args.rate.to_string()]);
    let mut honest_proc =
        start_load(&miner.peer, std::slice::from_ref(&honest), honest_args).await?;
    let mut attacker_procs: Vec<RoleProcess> = Vec::new();
    let per_proc = attackers.div_ceil(args.attacker_procs.clamp(1, attackers));
    for keys in flooders.chunks(per_proc) {
        let flood = common(["--inflight".to_owned(), args.attacker_inflight.to_string()]);
        attacker_procs.push(start_load(&miner.peer, keys, flood).await?);
    }

    let cpu_before = cpu_time(miner.process.pid())?;
    let started = Instant::now();
    honest_proc.send_line("GO").await?;
    for p in &mut attacker_procs {
        p.send_line("GO").await?;
    }
    let within = Duration::from_secs_f64(duration)
        + Duration::from_millis(args.timeout_ms) * 2
        + Duration::from_secs(30);
    let honest_report = finish_load(honest_proc, within).await?;
    let mut flood_report = LoadReport::default();
    for p in attacker_procs {
        let r = finish_load(p, within).await?;
        flood_report.summary.add_counts(&r.summary);
        flood_report.cpu_secs += r.cpu_secs;
        flood_report.elapsed_secs = flood_report.elapsed_secs.max(r.elapsed_secs);
    }
    let wall = started.elapsed();
    let miner_cpu = cpu_time(miner.process.pid())?.saturating_sub(cpu_before);
    let miner_report = stop_miner(miner).await?;
    Ok(ModeResult {
        protection: if protected { "on" } else { "off" },
        honest: honest_report,
        attackers: flood_report,
        miner: miner_report,
        miner_cpu_secs: miner_cpu.as_secs_f64(),
        wall_secs: wall.as_secs_f64(),
    })
}

fn table(modes: &[ModeResult]) -> Table {
    let mut t = Table::new(&[
        "protection",
        "honest ok",
        "honest p50 ms",
        "honest p99 ms",
        "attacker sent",
        "attacker ok",
        "attacker 429",
        "attacker 503",
        "attacker other",
        "miner CPU (cores)",
    ]);
    for m in modes {
        let (h, a) = (&m.honest.summary, &m.attackers.summary);
        let other = a.sent.saturating_sub(a.ok + a.status(429) + a.status(503));
        let cores = if m.wall_secs > 0.0 {
            m.miner_cpu_secs / m.wall_secs
        } else {
            0.0
        };
        t.row(vec![
            m.protection.to_owned(),
            format!("{} ({}/{})", percent(h.success_rate()), h.ok, h.sent),
            ms(h.p50_us),
            ms(h.p99_us),
            a.sent.to_string(),
            a.ok.to_string(),
            a.status(429).to_string(),
            a.status(503).to_string(),
            other.to_string(),
            format!("{cores:.2}"),
        ]);
    }
    t
}
