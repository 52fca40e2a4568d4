//! `axonite-args`: prints the settings a miner would run with and where each came from.
//!
//! It takes exactly a miner's flags (plus `--load-hotkey`), so it answers "which wallet,
//! which chain, which port?" before a real miner starts. The crate's integration tests run it
//! as a child process.

use std::process::ExitCode;

use axonite::identity::PasswordSource;
use axonite_cli::{Layered, MinerArgs, Source, Sources};
use clap::Parser;

/// Shows the settings an Axonite miner would run with: each flag's value and whether it came
/// from the command line, the environment, the --config file or the default.
#[derive(Parser)]
#[command(name = "axonite-args", version)]
struct Cli {
    #[command(flatten)]
    miner: MinerArgs,

    /// Also load the hotkey file (password only from its BT_PW_... variable) and print its
    /// address
    #[arg(long = "load-hotkey", env = "AXONITE_LOAD_HOTKEY")]
    load_hotkey: bool,
}

fn main() -> ExitCode {
    let (cli, sources) = Layered::new().parse_with_sources::<Cli>();
    if let Err(err) = cli.miner.logging.init() {
        eprintln!("error: {err}");
        return ExitCode::FAILURE;
    }
    tracing::debug!(netuid = cli.miner.netuid, "settings resolved");
    print_settings(&cli.miner, &sources);
    if cli.load_hotkey {
        // Never prompt: this is a tool for scripts and tests.
        match cli.miner.wallet.load_hotkey_with(&PasswordSource::Env) {
            Ok(keypair) => println!("hotkey = {}", keypair.hotkey()),
            Err(err) => {
                eprintln!("error: {err}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

fn print_settings(miner: &MinerArgs, sources: &Sources) {
    let line = |key: &str, value: &dyn std::fmt::Display| {
        let source = sources
            .get(key)
            .map_or(String::new(), |s: Source| format!("  # {s}"));
        println!("{key} = {value}{source}");
    };
    let none = |value: Option<String>| value.unwrap_or_else(|| "-".into());
    if let Some(path) = sources.config_file() {
        println!("config = {}", path.display());
    }
    line("wallet.name", &miner.wallet.name);
    line("wallet.hotkey", &miner.wallet.hotkey);
    line("wallet.path", &miner.wallet.path.display());
    line("subtensor.network", &miner.subtensor.network);
    line(
        "subtensor.chain_endpoint",
        &none(miner.subtensor.chain_endpoint.clone()),
    );
    line("netuid", &miner.netuid);
    line("axon.port", &miner.axon.port);
    line("axon.ip", &miner.axon.ip);
    line(
        "axon.external_ip",
        &none(miner.axon.external_ip.map(|ip| ip.to_string())),
    );
    line(
        "axon.external_port",
        &none(miner.axon.external_port.map(|p| p.to_string())),
    );
    line("axon.legacy_http", &miner.axon.legacy_http);
    line("logging.debug", &miner.logging.debug);
    line("logging.trace", &miner.logging.trace);
    line("logging.json", &miner.logging.json);
    println!(
        "hotkey_file = {}",
        miner.wallet.location().hotkey_file().display()
    );
    println!("endpoint = {}", miner.subtensor.endpoint());
    println!("listen = {}", miner.axon.listen());
    println!(
        "external = {}",
        none(miner.axon.external().map(|a| a.to_string()))
    );
}
