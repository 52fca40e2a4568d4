//! Role `load`: Axonite validators (keys from stdin) querying one miner with [`BenchEcho`].
//!
//! Two shapes of load: `--rate R` sends R requests per second per validator whatever the
//! answers (open loop, an honest validator's steady traffic), `--inflight K` keeps K requests
//! in flight per validator (closed loop, a flood). Connects every validator, prints `READY`,
//! runs for `--duration` seconds after the line `GO`, prints `RESULT <json>` and exits.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axonite::Peer;
use axonite::identity::Hotkey;
use axonite_actors::Validator;
use serde::{Deserialize, Serialize};
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior};

use super::miner::NETUID;
use super::{Control, RoleError, say};
use crate::cpu::own_cpu_time;
use crate::echo::BenchEcho;
use crate::stats::{Recorder, Summary};

/// Arguments of the `load` role.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    /// The miner's UDP address.
    #[arg(long)]
    pub miner: SocketAddr,
    /// The miner's hotkey (SS58), which its handshake must prove.
    #[arg(long)]
    pub miner_hotkey: Hotkey,
    /// Echo payload size in bytes.
    #[arg(long, default_value_t = 1024)]
    pub payload: usize,
    /// Seconds to run after `GO`.
    #[arg(long)]
    pub duration: f64,
    /// Per-request timeout in milliseconds.
    #[arg(long, default_value_t = 2_000)]
    pub timeout_ms: u64,
    /// Requests per second per validator, sent on a fixed schedule.
    #[arg(
        long,
        conflicts_with = "inflight",
        required_unless_present = "inflight"
    )]
    pub rate: Option<f64>,
    /// Requests kept in flight per validator.
    #[arg(long)]
    pub inflight: Option<usize>,
}

/// What a load process measured, printed as `RESULT <json>`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadReport {
    /// Outcomes and latencies of every request of every validator.
    pub summary: Summary,
    /// CPU time this process spent during the run, seconds.
    pub cpu_secs: f64,
    /// Wall time of the run, seconds.
    pub elapsed_secs: f64,
}

/// Runs `load`, timing it and this process's CPU, and prints the `RESULT` line the harness
/// reads. The harness closing our stdin means it is gone or done: stop at once.
pub(crate) async fn measure_and_report(
    control: Control,
    load: impl std::future::Future<Output = Recorder>,
) -> Result<(), RoleError> {
    let cpu_before = own_cpu_time().ok();
    let started = Instant::now();
    let recorder = tokio::select! {
        recorder = load => recorder,
        () = control.closed() => std::process::exit(1),
    };
    let elapsed = started.elapsed();
    let cpu = match (cpu_before, own_cpu_time().ok()) {
        (Some(before), Some(after)) => after.saturating_sub(before).as_secs_f64(),
        _ => 0.0,
    };
    let report = LoadReport {
        summary: recorder.summary(),
        cpu_secs: cpu,
        elapsed_secs: elapsed.as_secs_f64(),
    };
    say(&format!("RESULT {}", serde_json::to_string(&report)?))
}

/// Runs the role: connect, `READY`, wait for `GO`, load, `RESULT`.
pub async fn run(args: LoadArgs) -> Result<(), RoleError> {
    if !args.miner.ip().is_loopback() {
        return Err(RoleError::Usage(format!(
            "the bench talks to loopback only, not {}",
            args.miner
        )));
    }
    if !(args.duration.is_finite() && args.duration > 0.0) {
        return Err(RoleError::Usage("--duration must be positive".into()));
    }
    let mut control = Control::stdin();
    let keypairs = control.keypairs().await?;
    if keypairs.is_empty() {
        return Err(RoleError::Usage("no validator seeds on stdin".into()));
    }
    let peer = Peer::new(args.miner_hotkey, args.miner);
    let mut validators = Vec::with_capacity(keypairs.len());
    for keypair in keypairs {
        let validator = Validator::builder(keypair)
            .netuid(NETUID)
            .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .start()
            .await
            .map_err(|e| RoleError::Start(e.to_string()))?;
        validator
            .connect(&peer)
            .await
            .map_err(|e| RoleError::Start(format!("cannot connect to the miner: {e}")))?;
        validators.push(Arc::new(validator));
    }
    say("READY")?;
    control.wait_for("GO").await?;

    measure_and_report(control, drive(&validators, peer, &args)).await?;
    for validator in validators {
        if let Ok(validator) = Arc::try_unwrap(validator) {
            validator.shutdown().await;
        }
    }
    Ok(())
}

/// Runs every validator's load until the duration is over and every request has finished.
async fn drive(validators: &[Arc<Validator>], peer: Peer, args: &LoadArgs) -> Recorder {
    let request = Arc::new(BenchEcho {
        payload: vec![0xAB; args.payload],
    });
    let timeout = Duration::from_millis(args.timeout_ms);
    let end = Instant::now() + Duration::from_secs_f64(args.duration);
    let mut tasks = JoinSet::new();
    for validator in validators {
        match (args.rate, args.inflight) {
            (Some(rate), _) => {
                let (v, req) = (validator.clone(), request.clone());
                tasks.spawn(at_rate(v, peer, req, timeout, rate, end));
            }
            (None, Some(inflight)) => {
                for _ in 0..inflight.max(1) {
                    let (v, req) = (validator.clone(), request.clone());
                    tasks.spawn(in_a_loop(v, peer, req, timeout, end));
                }
            }
            (None, None) => {}
        }
    }
    let mut all = Recorder::default();
    while let Some(done) = tasks.join_next().await {
        if let Ok(recorder) = done {
            all.merge(recorder);
        }
    }
    all
}

/// One request after another until `end`.
async fn in_a_loop(
    validator: Arc<Validator>,
    peer: Peer,
    request: Arc<BenchEcho>,
    timeout: Duration,
    end: Instant,
) -> Recorder {
    let mut recorder = Recorder::with_capacity(4_096);
    while Instant::now() < end {
        let r = validator
            .query_with_timeout(&peer, request.as_ref(), timeout)
            .await;
        recorder.record(r.status().0, r.latency);
    }
    recorder
}

/// `rate` requests per second until `end`, each in its own task, answered or not.
async fn at_rate(
    validator: Arc<Validator>,
    peer: Peer,
    request: Arc<BenchEcho>,
    timeout: Duration,
    rate: f64,
    end: Instant,
) -> Recorder {
    let period = Duration::from_secs_f64(1.0 / rate.clamp(0.001, 1_000_000.0));
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut queries = JoinSet::new();
    loop {
        ticks.tick().await;
        if Instant::now() >= end {
            break;
        }
        let (v, req) = (validator.clone(), request.clone());
        queries.spawn(async move {
            let r = v.query_with_timeout(&peer, req.as_ref(), timeout).await;
            (r.status().0, r.latency)
        });
    }
    let mut recorder = Recorder::with_capacity(queries.len());
    while let Some(done) = queries.join_next().await {
        if let Ok((status, latency)) = done {
            recorder.record(status, latency);
        }
    }
    recorder
}
