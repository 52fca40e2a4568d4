//! Role `echo-client`: one client of one system running one measurement against its server.
//!
//! `sequential` and `inflight` connect first, warm up, print `READY`, and measure after `GO`
//! (so the harness can read the server's CPU around exactly the measured part); `connect`
//! prints `READY` at once and, after `GO`, times fresh clients, one per `CONNECT_PACE`
//! (100 ms): endpoint, connect, handshake and first echo. Prints `RESULT <json>` (a
//! [`LoadReport`](super::load::LoadReport)) and exits.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;

use super::load::measure_and_report;
use super::{Control, RoleError, say};
use crate::echo::BenchEcho;
use crate::peers::{EchoClient, System, Target};
use crate::stats::Recorder;

/// Echoes sent on a fresh connection before measuring.
const WARMUP: usize = 20;

/// One fresh client per this period in the `connect` test, whichever system. Closing a
/// client takes some systems tens of milliseconds (an Axonite validator or a quinn endpoint
/// waits until its connection's close is acknowledged) and others no time (btlightning
/// leaves it to the background); back to back, the latter would be timed on a warm process
/// and the former after an idle pause, which alone costs a connect most of a millisecond
/// here. A fixed pace times them all alike, as a validator meets a new miner: now and then.
const CONNECT_PACE: Duration = Duration::from_millis(100);

/// What to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Test {
    /// One echo after another on one connection.
    Sequential,
    /// `--inflight` echoes in flight on one connection.
    Inflight,
    /// A fresh client per sample: connect, handshake, first echo.
    Connect,
}

/// Arguments of the `echo-client` role.
#[derive(Debug, Clone, clap::Args)]
pub struct EchoClientArgs {
    /// Which system to be a client of.
    #[arg(long, value_enum)]
    pub system: System,
    /// The server's address.
    #[arg(long)]
    pub addr: SocketAddr,
    /// The server's key from its `READY` line (hotkey, or `-`).
    #[arg(long)]
    pub key: String,
    /// Payload bytes per echo.
    #[arg(long)]
    pub payload: usize,
    /// What to measure.
    #[arg(long, value_enum)]
    pub test: Test,
    /// Echoes in flight for `--test inflight`.
    #[arg(long, default_value_t = 32)]
    pub inflight: usize,
    /// Seconds to measure for.
    #[arg(long)]
    pub duration: f64,
    /// Stop after this many samples even if time is left.
    #[arg(long)]
    pub max_samples: Option<u64>,
}

/// Runs one measurement.
pub async fn run(args: EchoClientArgs) -> Result<(), RoleError> {
    if !args.addr.ip().is_loopback() {
        return Err(RoleError::Usage(format!(
            "the bench talks to loopback only, not {}",
            args.addr
        )));
    }
    if !(args.duration.is_finite() && args.duration > 0.0) {
        return Err(RoleError::Usage("--duration must be positive".into()));
    }
    let target = Target {
        addr: args.addr,
        key: args.key.clone(),
    };
    let request = Arc::new(BenchEcho {
        payload: vec![0xAB; args.payload],
    });
    let client = match args.test {
        Test::Connect => None,
        Test::Sequential | Test::Inflight => {
            let client = EchoClient::connect(args.system, &target)
                .await
                .map_err(|e| RoleError::Start(e.to_string()))?;
            for _ in 0..WARMUP {
                client
                    .echo(&request)
                    .await
                    .map_err(|e| RoleError::Start(format!("warm-up echo failed: {e}")))?;
            }
            Some(Arc::new(client))
        }
    };
    let mut control = Control::stdin();
    say("READY")?;
    control.wait_for("GO").await?;

    let end = Instant::now() + Duration::from_secs_f64(args.duration);
    let max = args.max_samples.unwrap_or(u64::MAX);
    let measure = async {
        match (&client, args.test) {
            (Some(c), Test::Inflight) => inflight(c, &request, args.inflight, end).await,
            (Some(c), _) => sequential(c, &request, end, max).await,
            (None, _) => connects(args.system, &target, &request, end, max).await,
        }
    };
    measure_and_report(control, measure).await?;
    if let Some(client) = client.and_then(|c| Arc::try_unwrap(c).ok()) {
        client.close().await;
    }
    Ok(())
}

fn status(outcome: &Result<(), crate::peers::EchoError>) -> u16 {
    outcome.as_ref().map_or_else(|e| e.status(), |()| 200)
}

async fn sequential(client: &EchoClient, request: &BenchEcho, end: Instant, max: u64) -> Recorder {
    let mut recorder = Recorder::with_capacity(16_384);
    let mut n = 0;
    while n < max && Instant::now() < end {
        let t = Instant::now();
        let outcome = client.echo(request).await;
        recorder.record(status(&outcome), t.elapsed());
        n += 1;
    }
    recorder
}

async fn inflight(
    client: &Arc<EchoClient>,
    request: &Arc<BenchEcho>,
    k: usize,
    end: Instant,
) -> Recorder {
    let mut tasks = JoinSet::new();
    for _ in 0..k.max(1) {
        let (client, request) = (client.clone(), request.clone());
        tasks.spawn(async move {
            let mut recorder = Recorder::with_capacity(16_384);
            while Instant::now() < end {
                let t = Instant::now();
                let outcome = client.echo(&request).await;
                recorder.record(status(&outcome), t.elapsed());
            }
            recorder
        });
    }
    let mut all = Recorder::default();
    while let Some(done) = tasks.join_next().await {
        if let Ok(recorder) = done {
            all.merge(recorder);
        }
    }
    all
}

async fn connects(
    system: System,
    target: &Target,
    request: &BenchEcho,
    end: Instant,
    max: u64,
) -> Recorder {
    let mut recorder = Recorder::with_capacity(1_024);
    let mut n = 0;
    while n < max && Instant::now() < end {
        let t = Instant::now();
        match EchoClient::connect(system, target).await {
            Ok(client) => {
                let outcome = client.echo(request).await;
                recorder.record(status(&outcome), t.elapsed());
                client.close().await;
            }
            Err(e) => recorder.record(e.status(), t.elapsed()),
        }
        n += 1;
        tokio::time::sleep_until(t + CONNECT_PACE).await;
    }
    recorder
}
