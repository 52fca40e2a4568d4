//! `validator`: queries {{project-name}}'s miners every `--query.interval` seconds, scores
//! the answers and hands the scores to the weight setter, until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use axonite::Peer;
use axonite_actors::{Validator, shutdown_signal};
use axonite_cli::{Layered, ValidatorArgs};
use clap::Parser;
use validator::{Schedule, check_peers, parse_peer, run as run_rounds};

/// The validator of {{project-name}}.
#[derive(Parser)]
#[command(name = "validator", version, about)]
struct Cli {
    #[command(flatten)]
    validator: ValidatorArgs,

    /// Miners to query, comma-separated: <hotkey>@<ip:port>,... (static peers; the uid of a
    /// miner is its position in this list)
    #[arg(
        id = "miners",
        long = "miners",
        env = "AXONITE_MINERS",
        value_name = "HOTKEY@ADDR,...",
        value_delimiter = ',',
        value_parser = parse_peer,
        required = true,
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
    // Without a chain there is no weight setter: scores are kept, not submitted. The README's
    // next steps add `.metagraph(..)` and `.weights(..)`.
    let validator = Validator::builder(keypair)
        .netuid(netuid)
        .bind(SocketAddr::from(([0, 0, 0, 0], 0)))
        .start()
        .await?;
    tracing::info!(
        netuid,
        hotkey = %validator.hotkey(),
        miners = cli.miners.len(),
        "validator started (static miners, no chain); stop with Ctrl-C"
    );
    let schedule = Schedule {
        interval: Duration::from_secs(cli.interval_secs),
        timeout: Duration::from_secs(cli.timeout_secs),
    };
    let stop = async {
        let signal = shutdown_signal().await;
        tracing::info!(%signal, "stopping");
    };
    let report = run_rounds(&validator, &cli.miners, schedule, stop).await;
    validator.shutdown().await;
    tracing::info!(rounds = report.rounds, "stopped");
    Ok(())
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
        assert!(parse(&[]).is_err(), "--miners is required");
    }
}
