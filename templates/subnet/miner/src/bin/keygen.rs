//! `keygen` (`cargo run -p miner --bin keygen`): prints the SS58 address of the hotkey at `--wallet.*`, creating it first when
//! there is none, so that a miner and a validator can run locally without btcli.
//!
//! The hotkey file is the SDK's plaintext format (readable by btcli and the Python SDK), mode
//! 0600. Anyone who can read it controls the hotkey: use it for local runs and tests, and
//! btcli for keys that hold value. It lives in the miner's package so that building it
//! builds the dependencies exactly as the miner needs them, not a second variant of them.

use std::process::ExitCode;

use axonite::Keypair;
use axonite::identity::{PasswordSource, WalletError, write_hotkey_file};
use axonite_cli::{Layered, WalletArgs};
use clap::Parser;

/// Prints the address of a wallet's hotkey, creating a new plaintext hotkey file if there is
/// none (for local runs; use btcli for keys that hold value).
#[derive(Parser)]
#[command(name = "keygen", version, about)]
struct Cli {
    #[command(flatten)]
    wallet: WalletArgs,
}

fn main() -> ExitCode {
    let cli: Cli = Layered::new().parse();
    let location = cli.wallet.location();
    // An existing file is kept: only its address is printed. Never prompt for a password.
    let keypair = match cli.wallet.load_hotkey_with(&PasswordSource::Env) {
        Ok(keypair) => keypair,
        Err(WalletError::NotFound { .. }) => {
            let keypair = Keypair::generate();
            match write_hotkey_file(&location, &keypair) {
                Ok(path) => eprintln!("created {}", path.display()),
                Err(err) => {
                    eprintln!("error: {err}");
                    return ExitCode::FAILURE;
                }
            }
            keypair
        }
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", keypair.hotkey());
    ExitCode::SUCCESS
}
