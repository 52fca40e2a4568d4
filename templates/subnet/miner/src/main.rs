//! `miner`: serves {{project-name}} with a wallet's hotkey until SIGINT or SIGTERM, then lets
//! the requests in flight finish and exits 0. It follows the chain (`--subtensor.*`): it
//! advertises its axon there and admits only the subnet's validators; `--offline` serves
//! without a chain.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use axonite::chain::ChainOptions;
use axonite_actors::chain::ChainSource;
use axonite_actors::metagraph::MonitorConfig;
use axonite_actors::shutdown_signal;
use axonite_cli::{AxonArgs, Layered, MinerArgs};
use clap::Parser;
use miner::{SubnetMiner, on_chain};

/// The miner of {{project-name}}.
#[derive(Parser)]
#[command(name = "miner", version, about)]
struct Cli {
    #[command(flatten)]
    miner: MinerArgs,

    /// Refuse validators with less stake than this (403); 0 serves every validator
    #[arg(
        id = "blacklist.min_stake",
        long = "blacklist.min_stake",
        env = "AXONITE_BLACKLIST_MIN_STAKE",
        value_name = "STAKE",
        default_value_t = 0.0,
        value_parser = non_negative,
        help_heading = "Subnet"
    )]
    min_stake: f64,

    /// Serve Prometheus metrics on this address (GET /metrics); off by default
    #[arg(
        id = "metrics.addr",
        long = "metrics.addr",
        env = "AXONITE_METRICS_ADDR",
        value_name = "ADDR",
        help_heading = "Subnet"
    )]
    metrics: Option<SocketAddr>,

    /// Seconds the requests in flight get to finish after SIGINT or SIGTERM
    #[arg(
        id = "shutdown.grace",
        long = "shutdown.grace",
        env = "AXONITE_SHUTDOWN_GRACE",
        value_name = "SECS",
        default_value_t = 10,
        help_heading = "Subnet"
    )]
    grace_secs: u64,

    /// Serve without a chain: admit every validator, advertise nothing (local testing)
    #[arg(
        id = "offline",
        long = "offline",
        env = "AXONITE_OFFLINE",
        help_heading = "Subnet"
    )]
    offline: bool,
}

/// The address to advertise on chain: `--axon.external_ip` (or `--axon.ip` when it names one
/// address) with `--axon.external_port` (or `--axon.port`; 0 advertises the bound port).
fn advertised(axon: &AxonArgs) -> Result<SocketAddr, String> {
    let ip = axon
        .external_ip
        .or_else(|| (!axon.ip.is_unspecified()).then_some(axon.ip))
        .ok_or_else(|| {
            format!(
                "--axon.ip {} is not an address validators can dial: set --axon.external_ip \
                 to this machine's public address (or use --offline)",
                axon.ip
            )
        })?;
    Ok(SocketAddr::new(ip, axon.external_port.unwrap_or(axon.port)))
}

fn non_negative(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        Ok(_) => Err("must be a finite number, 0 or more".to_owned()),
        Err(e) => Err(e.to_string()),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    // Flags > AXONITE_* variables > --config file > defaults; this subnet's netuid is the
    // default of --netuid. A bad value exits 2 with one line naming the flag.
    let cli: Cli = Layered::new()
        .default_value("netuid", protocol::NETUID.to_string())
        .parse();
    if let Err(err) = cli.miner.logging.init() {
        eprintln!("error: {err}");
        return ExitCode::FAILURE;
    }
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let external = if cli.offline {
        None
    } else {
        Some(advertised(&cli.miner.axon)?)
    };
    let keypair = cli.miner.wallet.load_hotkey()?;
    let netuid = cli.miner.netuid;
    let handler = SubnetMiner::new().with_min_stake(cli.min_stake);
    let listen = cli.miner.axon.listen();
    let mut builder = if cli.miner.axon.legacy_http {
        miner::builder_with_legacy_http(keypair, netuid, listen, handler)
    } else {
        miner::builder(keypair, netuid, listen, handler)
    };
    if let Some(addr) = cli.metrics {
        builder = builder.metrics(addr);
    }
    if let Some(external) = external {
        let subtensor = &cli.miner.subtensor;
        let chain = Arc::new(ChainSource::new(
            subtensor.endpoint(),
            ChainOptions::default(),
        ));
        builder = on_chain(builder, chain, MonitorConfig::new(netuid), external);
    }
    let miner = builder.start().await?;
    tracing::info!(
        netuid,
        peer = %miner.peer(),
        on_chain = !cli.offline,
        "miner serving; stop with Ctrl-C"
    );
    if let Some(addr) = miner.metrics_addr() {
        tracing::info!(%addr, "metrics at GET /metrics");
    }

    let signal = shutdown_signal().await;
    tracing::info!(%signal, "stopping: finishing requests in flight");
    miner.shutdown(Duration::from_secs(cli.grace_secs)).await;
    tracing::info!("stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Layered::new()
            .default_value("netuid", protocol::NETUID.to_string())
            .read_env(false)
            .try_parse_from(std::iter::once("miner").chain(args.iter().copied()))
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn netuid_defaults_to_the_subnets_own() {
        let cli = parse(&[]).unwrap();
        assert_eq!(cli.miner.netuid, protocol::NETUID);
        assert_eq!(parse(&["--netuid", "3"]).unwrap().miner.netuid, 3);
    }

    #[test]
    fn the_advertised_address_needs_a_dialable_ip() {
        let cli = parse(&["--axon.port", "8091"]).unwrap();
        let err = advertised(&cli.miner.axon).unwrap_err();
        assert!(err.contains("--axon.external_ip"), "{err}");
        let cli = parse(&["--axon.port", "8091", "--axon.external_ip", "203.0.113.7"]).unwrap();
        assert_eq!(
            advertised(&cli.miner.axon),
            Ok("203.0.113.7:8091".parse().unwrap())
        );
        let cli = parse(&["--axon.ip", "127.0.0.2", "--axon.port", "0"]).unwrap();
        assert_eq!(
            advertised(&cli.miner.axon),
            Ok("127.0.0.2:0".parse().unwrap())
        );
        assert!(parse(&["--offline"]).unwrap().offline);
    }

    #[test]
    fn a_negative_minimum_stake_is_refused_naming_the_flag() {
        for bad in ["--blacklist.min_stake=-1", "--blacklist.min_stake=NaN"] {
            let err = parse(&[bad]).err().unwrap();
            assert!(err.to_string().contains("--blacklist.min_stake"), "{err}");
        }
        assert_eq!(
            parse(&["--blacklist.min_stake", "2.5"]).unwrap().min_stake,
            2.5
        );
    }
}
