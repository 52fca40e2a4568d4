//! Role `legacy-miner`: an Axonite miner answering the SDK-shaped `Dummy` synapse over QUIC
//! and over legacy HTTP (bittensor 10.x dendrites), admitting the validators named on the
//! command line.
//!
//! Prints `READY <http addr> <hotkey>` and serves until stdin closes.

use std::net::SocketAddr;
use std::time::Duration;

use axonite::Keypair;
use axonite::identity::Hotkey;
use axonite_actors::Miner;
use axonite_examples::legacy::{Dummy, LegacyMiner};

use super::miner::{NETUID, parse_validator, static_directory};
use super::{Control, RoleError, say};

/// Arguments of the `legacy-miner` role.
#[derive(Debug, Clone, clap::Args)]
pub struct LegacyMinerArgs {
    /// Address to listen on, UDP for QUIC and TCP for HTTP (loopback only).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// A known validator (dendrite) and its stake, as `<ss58>=<stake>` (repeatable).
    #[arg(long = "validator", value_parser = parse_validator)]
    pub validators: Vec<(Hotkey, f64)>,
}

/// Runs the role until stdin closes.
pub async fn run(args: LegacyMinerArgs) -> Result<(), RoleError> {
    if !args.listen.ip().is_loopback() {
        return Err(RoleError::Usage(format!(
            "the bench binds loopback only, not {}",
            args.listen
        )));
    }
    let directory = static_directory(&args.validators);
    let miner = Miner::builder(Keypair::generate())
        .netuid(NETUID)
        .listen(args.listen)
        .directory(directory)
        .legacy_handler::<Dummy, _>(LegacyMiner)
        .start()
        .await
        .map_err(|e| RoleError::Start(e.to_string()))?;
    let http = miner
        .legacy_addr()
        .ok_or_else(|| RoleError::Start("the miner serves no legacy HTTP".into()))?;
    say(&format!("READY {http} {}", miner.hotkey()))?;
    Control::stdin().closed().await;
    miner.shutdown(Duration::from_secs(2)).await;
    Ok(())
}
