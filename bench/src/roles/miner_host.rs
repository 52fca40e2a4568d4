//! Role `miner-host`: many Axonite echo miners in one process, each with its own key, endpoint
//! and port on 127.0.0.1, as the miners a validator fans out to.
//!
//! Prints `READY <ss58>@<addr> ...` (one [`peer_spec`] per miner), serves until stdin closes, then
//! shuts every miner down.

use std::net::SocketAddr;
use std::time::Duration;

use axonite::Keypair;
use axonite_actors::Miner;
use tokio::task::JoinSet;

use super::fanout::peer_spec;
use super::miner::NETUID;
use super::{Control, RoleError, say};
use crate::echo::{BenchEcho, EchoHandler};

/// Arguments of the `miner-host` role.
#[derive(Debug, Clone, clap::Args)]
pub struct MinerHostArgs {
    /// Miners to run in this process.
    #[arg(long)]
    pub miners: usize,
    /// Worker actors per miner. A fan-out sends each miner one request at a time, so a few
    /// suffice, and the miner default (32 each) would put thousands of idle actors in one
    /// process.
    #[arg(long, default_value_t = 2)]
    pub workers: usize,
}

/// Runs the role until stdin closes.
pub async fn run(args: MinerHostArgs) -> Result<(), RoleError> {
    if args.miners == 0 || args.workers == 0 {
        return Err(RoleError::Usage(
            "--miners and --workers must be positive".into(),
        ));
    }
    let mut miners = Vec::with_capacity(args.miners);
    for _ in 0..args.miners {
        let miner = Miner::builder(Keypair::generate())
            .netuid(NETUID)
            .listen(SocketAddr::from(([127, 0, 0, 1], 0)))
            .configure(|c| {
                c.workers_per_synapse = args.workers;
                c.report_interval = None;
            })
            .handler::<BenchEcho, _>(EchoHandler)
            .start()
            .await
            .map_err(|e| RoleError::Start(e.to_string()))?;
        miners.push(miner);
    }
    let entries: Vec<String> = miners.iter().map(|m| peer_spec(&m.peer())).collect();
    say(&format!("READY {}", entries.join(" ")))?;
    Control::stdin().closed().await;
    let mut stopping = JoinSet::new();
    for miner in miners {
        stopping.spawn(miner.shutdown(Duration::from_millis(500)));
    }
    while stopping.join_next().await.is_some() {}
    Ok(())
}
