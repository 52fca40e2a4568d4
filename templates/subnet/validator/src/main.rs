//! `validator`: queries {{project-name}}'s miners every `--query.interval` seconds, scores
//! the answers and sets them as weights on chain, until SIGINT or SIGTERM. With `--miners`
//! it queries a fixed list instead, without a chain, and sets no weights.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use axonite::Peer;
use axonite::chain::ChainOptions;
use axonite_actors::chain::ChainSource;
use axonite_actors::metagraph::MonitorConfig;
use axonite_actors::weights::WeightsConfig;
use axonite_actors::{Validator, shutdown_signal};
use axonite_cli::{Layered, SubtensorArgs, ValidatorArgs};
use clap::Parser;
use validator::{Miners, Schedule, check_peers, on_chain, parse_peer, run as run_rounds};

/// The validator of {{project-name}}.
#[derive(Parser)]
#[command(name = "validator", version, about)]
struct Cli {
    #[command(flatten)]
    validator: ValidatorArgs,

    /// Query these miners instead of the chain's, comma-separated: <hotkey>@<ip:port>,...
    /// (no chain, no weights; a miner's uid is its position in this list)
    #[arg(
        id = "miners",
        long = "miners",
        env = "AXONITE_MINERS",
        value_name = "HOTKEY@ADDR,...",
        value_delimiter = ',',
        value_parser = parse_peer,
        help_heading = "Subnet"
    )]
    miners: Vec<Peer>,

    /// Seconds from the start of one round to the start of the next
    #[arg(
        id = "query.interval",
        long = "query.interval",
        env = "AXONITE_QUERY_INTERVAL",
        value_name = "SECS",
        default_value_t = 12,
        value_parser = clap::value_parser!(u64).range(1..),
        help_heading = "Subnet"
    )]
    interval_secs: u64,

    /// Seconds each miner gets to answer
    #[arg(
        id = "query.timeout",
        long = "query.timeout",
        env = "AXONITE_QUERY_TIMEOUT",
        value_name = "SECS",
        default_value_t = 5,
        value_parser = clap::value_parser!(u64).range(1..),
        help_heading = "Subnet"
    )]
    timeout_secs: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    // Flags > AXONITE_* variables > --config file > defaults; this subnet's netuid is the
    // default of --netuid. A bad value exits 2 with one line naming the flag.
    let cli: Cli = Layered::new()
        .default_value("netuid", protocol::NETUID.to_string())
        .parse();
    if let Err(err) = cli.validator.logging.init() {
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
    check_peers(&cli.miners)?;
    let keypair = cli.validator.wallet.load_hotkey()?;
    let netuid = cli.validator.netuid;
    let mut builder = Validator::builder(keypair.clone())
        .netuid(netuid)
        .bind(SocketAddr::from(([0, 0, 0, 0], 0)));
    let miners = if cli.miners.is_empty() {
        let subtensor = &cli.validator.subtensor;
        let chain = Arc::new(ChainSource::new(
            subtensor.endpoint(),
            ChainOptions::default(),
        ));
        tracing::info!(netuid, chain = %chain_name(subtensor), "following the chain");
        builder = on_chain(
            builder,
            chain,
            keypair,
            MonitorConfig::new(netuid),
            WeightsConfig::new(netuid),
        );
        Miners::Metagraph
    } else {
        // Without a chain there is no weight setter: scores are kept, not submitted.
        tracing::info!(
            miners = cli.miners.len(),
            "static miners, no chain: no weights are set"
        );
        Miners::Static(cli.miners)
    };
    let validator = builder.start().await?;
    tracing::info!(
        netuid,
        hotkey = %validator.hotkey(),
        "validator started; stop with Ctrl-C"
    );
    let schedule = Schedule {
        interval: Duration::from_secs(cli.interval_secs),
        timeout: Duration::from_secs(cli.timeout_secs),
    };
    let stop = async {
        let signal = shutdown_signal().await;
        tracing::info!(%signal, "stopping");
    };
    let report = run_rounds(&validator, &miners, schedule, stop).await;
    validator.shutdown().await;
    tracing::info!(rounds = report.rounds, "stopped");
    Ok(())
}

/// The chain to name in logs: the network, or just "--subtensor.chain_endpoint" (a node URL
/// can carry an API key).
fn chain_name(subtensor: &SubtensorArgs) -> String {
    match subtensor.chain_endpoint {
        Some(_) => "--subtensor.chain_endpoint".to_owned(),
        None => subtensor.network.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use axonite::Keypair;

    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Layered::new()
            .default_value("netuid", protocol::NETUID.to_string())
            .read_env(false)
            .try_parse_from(std::iter::once("validator").chain(args.iter().copied()))
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn miners_are_a_comma_separated_list() {
        let (a, b) = (Keypair::generate().hotkey(), Keypair::generate().hotkey());
        let list = format!("{a}@127.0.0.1:8091,{b}@127.0.0.1:8092");
        let cli = parse(&["--miners", &list]).unwrap();
        assert_eq!(cli.miners.len(), 2);
        assert_eq!(cli.miners[1].hotkey, b);
        assert_eq!(cli.validator.netuid, protocol::NETUID);
    }

    #[test]
    fn a_bad_miner_entry_is_an_error_naming_the_flag() {
        let err = parse(&["--miners", "nonsense"]).err().unwrap();
        assert!(err.to_string().contains("--miners"), "{err}");
    }

    #[test]
    fn without_miners_the_validator_follows_the_chain() {
        let cli = parse(&["--subtensor.network", "local"]).unwrap();
        assert!(cli.miners.is_empty());
        assert_eq!(cli.validator.subtensor.endpoint(), "ws://127.0.0.1:9944");
        let secret = parse(&[
            "--subtensor.chain_endpoint",
            "wss://node.example/?key=s3cret",
        ])
        .unwrap();
        assert_eq!(
            chain_name(&secret.validator.subtensor),
            "--subtensor.chain_endpoint"
        );
    }
}
