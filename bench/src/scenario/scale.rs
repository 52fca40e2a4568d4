//! Scenario `scale`: Axonite alone, at the sizes of a real subnet.
//!
//! - Fan-out ([`fanout`]): one validator process sends a 1 KB echo to 64, then 256 miners
//!   with one `query_many` per round; the miners run in `miner-host` processes. Times each
//!   round until every miner answered (the first round, which connects, apart), and the CPU
//!   of the validator and of the miner hosts per round.
//! - Idle connections ([`idle`]): one client process opens N authenticated connections to one
//!   miner and leaves them idle; the resident memory of both, before and after, gives the
//!   bytes one idle connection costs each side. Bare quinn's echo server, measured the same
//!   way, shows how much of it is QUIC and TLS alone.

pub mod fanout;
pub mod idle;

use std::path::PathBuf;

use serde::Serialize;

use super::ScenarioError;
use crate::report::{Table, write_json};

/// Arguments of the `scale` scenario.
#[derive(Debug, Clone, clap::Args)]
pub struct ScaleArgs {
    /// Short run (the whole scenario well under a minute).
    #[arg(long)]
    pub quick: bool,
    /// Miners per fan-out, comma separated.
    #[arg(long, value_delimiter = ',', default_value = "64,256")]
    pub fanout: Vec<usize>,
    /// Measured fan-out rounds (default 200, quick 50).
    #[arg(long)]
    pub rounds: Option<usize>,
    /// Fan-out rounds after the first, not measured (default 20, quick 5).
    #[arg(long)]
    pub warmup: Option<usize>,
    /// Processes the miners are spread over.
    #[arg(long, default_value_t = 2)]
    pub hosts: usize,
    /// Echo payload in bytes.
    #[arg(long, default_value_t = 1024)]
    pub payload: usize,
    /// Per-query timeout in milliseconds.
    #[arg(long, default_value_t = 5_000)]
    pub timeout_ms: u64,
    /// Idle connections to open (default 1,000, quick 200).
    #[arg(long)]
    pub idle: Option<usize>,
    /// Connections the idle client opens at once.
    #[arg(long, default_value_t = 16)]
    pub idle_parallel: usize,
    /// Seconds to let memory settle before each reading (default 3, quick 1).
    #[arg(long)]
    pub settle: Option<f64>,
    /// The idle part's miner: per-stream receive window in bytes (default: the transport's).
    #[arg(long)]
    pub stream_window: Option<u32>,
    /// The idle part's miner: request streams per connection (default: the transport's).
    #[arg(long)]
    pub max_streams: Option<u32>,
    /// Skip the fan-out part.
    #[arg(long)]
    pub no_fanout: bool,
    /// Skip the idle-connection part.
    #[arg(long)]
    pub no_idle: bool,
    /// Also write the figures as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// The sizes a run uses, from the arguments and `--quick`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Plan {
    /// Measured fan-out rounds.
    pub rounds: usize,
    /// Unmeasured fan-out rounds after the first.
    pub warmup: usize,
    /// Idle connections.
    pub idle: usize,
    /// Seconds memory settles before a reading.
    pub settle_secs: f64,
}

impl Plan {
    fn new(args: &ScaleArgs) -> Self {
        let q = args.quick;
        Self {
            rounds: args.rounds.unwrap_or(if q { 50 } else { 200 }),
            warmup: args.warmup.unwrap_or(if q { 5 } else { 20 }),
            idle: args.idle.unwrap_or(if q { 200 } else { 1_000 }),
            settle_secs: args.settle.unwrap_or(if q { 1.0 } else { 3.0 }),
        }
    }
}

/// Runs both parts and prints the table.
pub async fn run(args: ScaleArgs) -> Result<(), ScenarioError> {
    let plan = Plan::new(&args);
    if plan.rounds == 0 || args.hosts == 0 || args.fanout.contains(&0) || plan.idle == 0 {
        return Err(ScenarioError::Usage(
            "rounds, hosts, fan-out sizes and idle connections must be positive".into(),
        ));
    }
    if !(plan.settle_secs.is_finite() && plan.settle_secs >= 0.0) {
        return Err(ScenarioError::Usage(
            "--settle must be a number of seconds".into(),
        ));
    }
    let fanouts = if args.no_fanout || args.fanout.is_empty() {
        Vec::new()
    } else {
        fanout::measure(&args, &plan).await?
    };
    let idles = if args.no_idle {
        Vec::new()
    } else {
        idle::measure(&args, &plan).await?
    };

    println!(
        "\nscale: Axonite only, every role its own process on 127.0.0.1; {} mode\n",
        if args.quick { "quick" } else { "full" }
    );
    let mut table = Table::new(&["part", "metric", "value", "goal"]);
    fanout::rows(&mut table, &fanouts);
    idle::rows(&mut table, &idles);
    println!("{}", table.to_markdown());
    for note in fanout::notes(&args, &plan, &fanouts)
        .into_iter()
        .chain(idle::notes(&args, &plan, &idles))
    {
        println!("{note}");
    }
    if let Some(path) = &args.json {
        #[derive(Serialize)]
        struct Output<'a> {
            scenario: &'static str,
            plan: Plan,
            payload: usize,
            hosts: usize,
            fanout: &'a [fanout::FanoutFigures],
            idle: &'a [idle::IdleFigures],
        }
        write_json(
            path,
            &Output {
                scenario: "scale",
                plan,
                payload: args.payload,
                hosts: args.hosts,
                fanout: &fanouts,
                idle: &idles,
            },
        )?;
    }
    Ok(())
}

/// A figure with three significant-ish digits, `-` when not a number.
fn num(v: f64) -> String {
    match v {
        v if !v.is_finite() => "-".into(),
        v if v.abs() >= 100.0 => format!("{v:.0}"),
        v if v.abs() >= 10.0 => format!("{v:.1}"),
        v => format!("{v:.2}"),
    }
}
