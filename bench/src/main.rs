//! `axonite-bench`: Axonite's benchmark harness (see the crate docs of `axonite_bench`).

use std::process::ExitCode;

use axonite_bench::{roles, scenario};
use clap::{Parser, Subcommand};

/// Axonite's benchmark harness (loopback only).
#[derive(Debug, Parser)]
#[command(name = "axonite-bench", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// An honest validator at a fixed rate while low-stake validators flood the miner,
    /// without and with rate limits.
    Protection(scenario::protection::ProtectionArgs),
    /// Axonite, btlightning and a bare quinn echo side by side: latency, throughput,
    /// connection setup and CPU per request, for several payload sizes.
    Echo(scenario::echo::EchoArgs),
    /// Axonite at scale: a validator fanning out to 64 and 256 miners, and the memory of
    /// idle authenticated connections on the miner and the client.
    Scale(scenario::scale::ScaleArgs),
    /// The legacy HTTP path: real bittensor 10.5.0 dendrites querying an Axonite miner's
    /// legacy endpoint, then the SDK's own axon.
    Legacy(scenario::legacy::LegacyArgs),
    /// One system's server and client in this process, sequential echoes: for profilers
    /// (callgrind instruction counts).
    Profile(scenario::profile::ProfileArgs),
    /// Role: a btlightning or bare quinn echo server (spawned by the scenarios).
    #[command(hide = true)]
    EchoServer(roles::echo_server::EchoServerArgs),
    /// Role: one echo client measurement (spawned by the scenarios).
    #[command(hide = true)]
    EchoClient(roles::echo_client::EchoClientArgs),
    /// Role: an Axonite echo miner (spawned by the scenarios).
    #[command(hide = true)]
    Miner(roles::miner::MinerArgs),
    /// Role: an Axonite miner serving legacy HTTP too (spawned by the scenarios).
    #[command(hide = true)]
    LegacyMiner(roles::legacy_miner::LegacyMinerArgs),
    /// Role: Axonite validators loading a miner (spawned by the scenarios).
    #[command(hide = true)]
    Load(roles::load::LoadArgs),
    /// Role: many Axonite miners in one process (spawned by the scenarios).
    #[command(hide = true)]
    MinerHost(roles::miner_host::MinerHostArgs),
    /// Role: one validator fanning out to many miners (spawned by the scenarios).
    #[command(hide = true)]
    Fanout(roles::fanout::FanoutArgs),
    /// Role: many idle connections to one server (spawned by the scenarios).
    #[command(hide = true)]
    IdleClient(roles::idle_client::IdleClientArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    // Every process of a run (they inherit the variable) gets the same runtime, whichever
    // system it runs: tokio's default (a worker per core), or AXONITE_BENCH_WORKERS workers.
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = std::env::var("AXONITE_BENCH_WORKERS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        builder.worker_threads(n);
    }
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("axonite-bench: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome: Result<(), Box<dyn std::error::Error>> = runtime.block_on(async {
        match cli.command {
            Command::Protection(args) => scenario::protection::run(args).await?,
            Command::Echo(args) => scenario::echo::run(args).await?,
            Command::Scale(args) => scenario::scale::run(args).await?,
            Command::Profile(args) => scenario::profile::run(args).await?,
            Command::Legacy(args) => scenario::legacy::run(args).await?,
            Command::EchoServer(args) => roles::echo_server::run(args).await?,
            Command::EchoClient(args) => roles::echo_client::run(args).await?,
            Command::Miner(args) => roles::miner::run(args).await?,
            Command::Load(args) => roles::load::run(args).await?,
            Command::LegacyMiner(args) => roles::legacy_miner::run(args).await?,
            Command::MinerHost(args) => roles::miner_host::run(args).await?,
            Command::Fanout(args) => roles::fanout::run(args).await?,
            Command::IdleClient(args) => roles::idle_client::run(args).await?,
        }
        Ok(())
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("axonite-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
