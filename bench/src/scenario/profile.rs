//! `profile`: one system's server and client in this one process, a fixed number of
//! sequential echoes, nothing else. Made to run under a profiler, where instruction counts
//! (valgrind's callgrind) are repeatable on a noisy machine:
//!
//! ```text
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/axonite.cg \
//!     target/release/axonite-bench profile --system axonite --requests 5000
//! callgrind_annotate /tmp/axonite.cg | head -60
//! ```
//!
//! Run the same with `--system quinn` (the ceiling) and `--system btlightning` and compare
//! instructions per request: (total − the run with `--requests 0`) / requests.
//! `--inflight 32` keeps 32 echoes in flight, as the echo scenario's throughput figure does.
//! `scripts/bench-instructions` runs all of this and prints the table.
//!
//! `--no-lanes` makes the Axonite validator send every request on a stream of its own, to
//! measure what its lane saves.
//!
//! `--connects N` adds N fresh clients after the echoes (client start, connect, handshake,
//! one echo, close), for the cost of a connection: (total − the run without) / N.

use std::sync::Arc;
use std::time::Instant;

use axonite::Keypair;
use axonite_actors::Miner;

use super::ScenarioError;
use crate::echo::{BenchEcho, EchoHandler};
use crate::peers::btl::BtlServer;
use crate::peers::quinn_echo::QuinnServer;
use crate::peers::{EchoClient, System, Target};

/// Arguments of the `profile` scenario.
#[derive(Debug, Clone, clap::Args)]
pub struct ProfileArgs {
    /// The system to run.
    #[arg(long, value_enum, default_value = "axonite")]
    pub system: System,
    /// Sequential echoes after one warm-up echo.
    #[arg(long, default_value_t = 5_000)]
    pub requests: u64,
    /// Payload size in bytes.
    #[arg(long, default_value_t = 1_024)]
    pub payload: usize,
    /// Fresh clients after the echoes, each connecting, echoing once and closing.
    #[arg(long, default_value_t = 0)]
    pub connects: u64,
    /// Echoes in flight on the one connection (1: one after another). The echo scenario's
    /// throughput is measured at 32.
    #[arg(long, default_value_t = 1)]
    pub inflight: u64,
    /// Axonite only: send every request on a stream of its own instead of the lane, to
    /// measure what the lane saves.
    #[arg(long)]
    pub no_lanes: bool,
}

/// A server of any system, stopped when done.
enum Server {
    Axonite(Box<Miner>),
    Btlightning(BtlServer),
    Quinn(QuinnServer),
}

/// Runs the scenario and prints requests, wall time and time per request.
pub async fn run(args: ProfileArgs) -> Result<(), ScenarioError> {
    let listen = "127.0.0.1:0"
        .parse()
        .map_err(|e| ScenarioError::Usage(format!("{e}")))?;
    let (server, target) = match args.system {
        System::Axonite => {
            let miner = Miner::builder(Keypair::generate())
                .netuid(crate::roles::miner::NETUID)
                .listen(listen)
                .handler::<BenchEcho, _>(EchoHandler)
                .start()
                .await
                .map_err(|e| ScenarioError::Usage(format!("miner: {e}")))?;
            let target = Target {
                addr: miner.local_addr(),
                key: miner.hotkey().to_ss58(),
            };
            (Server::Axonite(Box::new(miner)), target)
        }
        System::Btlightning => {
            let (server, target) = BtlServer::start(listen)
                .await
                .map_err(ScenarioError::Usage)?;
            (Server::Btlightning(server), target)
        }
        System::Quinn => {
            let (server, target) = QuinnServer::start(listen).map_err(ScenarioError::Usage)?;
            (Server::Quinn(server), target)
        }
    };
    let client = match args.system {
        System::Axonite if args.no_lanes => {
            crate::peers::axonite::AxoniteClient::connect_with_lanes(&target, false)
                .await
                .map(EchoClient::Axonite)
        }
        system => EchoClient::connect(system, &target).await,
    }
    .map_err(|e| ScenarioError::Usage(format!("connect: {e}")))?;
    let request = BenchEcho {
        payload: vec![0xA5; args.payload],
    };
    client
        .echo(&request)
        .await
        .map_err(|e| ScenarioError::Usage(format!("warm-up echo: {e}")))?;
    let started = Instant::now();
    let (client, request) = (Arc::new(client), Arc::new(request));
    let lanes = args.inflight.max(1);
    let mut tasks = tokio::task::JoinSet::new();
    for lane in 0..lanes {
        // The requests split over the lanes, the remainder on the first ones.
        let n = args.requests / lanes + u64::from(lane < args.requests % lanes);
        let (client, request) = (client.clone(), request.clone());
        tasks.spawn(async move {
            let mut failed = 0u64;
            for _ in 0..n {
                failed += u64::from(client.echo(&request).await.is_err());
            }
            failed
        });
    }
    let mut failed = 0u64;
    while let Some(lane) = tasks.join_next().await {
        failed += lane.unwrap_or(1);
    }
    let elapsed = started.elapsed();
    if let Ok(client) = Arc::try_unwrap(client) {
        client.close().await;
    }
    // Timed like the echo scenario's connection setup: connect and first echo, not the close.
    let mut connects_elapsed = std::time::Duration::ZERO;
    for _ in 0..args.connects {
        let started = Instant::now();
        let fresh = EchoClient::connect(args.system, &target)
            .await
            .map_err(|e| ScenarioError::Usage(format!("connect: {e}")))?;
        failed += u64::from(fresh.echo(&request).await.is_err());
        connects_elapsed += started.elapsed();
        fresh.close().await;
    }
    match server {
        Server::Axonite(miner) => miner.shutdown(std::time::Duration::from_secs(2)).await,
        Server::Btlightning(server) => server.stop().await,
        Server::Quinn(server) => server.stop().await,
    }
    let per = elapsed.as_secs_f64() * 1e6 / args.requests.max(1) as f64;
    println!(
        "{}: {} echoes of {} B, {} in flight, in {:.3} s ({per:.1} µs each), {failed} failed",
        args.system.name(),
        args.requests,
        args.payload,
        lanes,
        elapsed.as_secs_f64()
    );
    if args.connects > 0 {
        let per = connects_elapsed.as_secs_f64() * 1e3 / args.connects as f64;
        println!(
            "{}: {} fresh clients, {:.3} s connecting and echoing ({per:.2} ms each)",
            args.system.name(),
            args.connects,
            connects_elapsed.as_secs_f64()
        );
    }
    Ok(())
}
