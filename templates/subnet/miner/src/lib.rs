//! The miner of {{project-name}}: the handler that answers [`Challenge`]s, and the Axonite
//! miner that serves it.
//!
//! The binary (`src/main.rs`) reads the command line and the wallet and calls [`builder`]
//! (and [`on_chain`] unless `--offline`); the tests call the same functions with generated
//! keys on `127.0.0.1`.
//!
//! [`Challenge`]: protocol::Challenge

mod handler;

use std::net::SocketAddr;
use std::sync::Arc;

use axonite::Keypair;
use axonite_actors::chain::ChainSource;
use axonite_actors::metagraph::MonitorConfig;
use axonite_actors::{Miner, MinerBuilder};
use protocol::Challenge;

pub use handler::{SubnetMiner, solve};

/// A miner proving `keypair`'s hotkey on `netuid`, listening on `listen` (UDP, QUIC) and
/// answering [`Challenge`] with `handler`. Add `.metrics(addr)` and, to follow a chain,
/// [`on_chain`], before `.start()`.
pub fn builder(
    keypair: Keypair,
    netuid: u16,
    listen: SocketAddr,
    handler: SubnetMiner,
) -> MinerBuilder {
    base(keypair, netuid, listen).handler::<Challenge, _>(handler)
}

/// [`builder`], also answering validators still on the bittensor Python SDK (10.x
/// dendrites, btauth/1) over HTTP on TCP at the same port, with the same handler, gate and
/// limits: the miner's `--axon.legacy_http`.
pub fn builder_with_legacy_http(
    keypair: Keypair,
    netuid: u16,
    listen: SocketAddr,
    handler: SubnetMiner,
) -> MinerBuilder {
    base(keypair, netuid, listen).legacy_handler::<Challenge, _>(handler)
}

/// A miner proving `keypair`'s hotkey on `netuid`, listening on `listen`, no handler yet.
fn base(keypair: Keypair, netuid: u16, listen: SocketAddr) -> MinerBuilder {
    Miner::builder(keypair).netuid(netuid).listen(listen)
}

/// Follows `chain`: only validators registered on the subnet with a validator permit get in
/// (the metagraph, read per `monitor`, also gives the blacklist and priority their stake), and
/// the miner advertises `external` on chain with `serve_axon` when it starts (port 0: the
/// bound port). Starting fails if the hotkey is not registered on the subnet.
pub fn on_chain(
    builder: MinerBuilder,
    chain: Arc<ChainSource>,
    monitor: MonitorConfig,
    external: SocketAddr,
) -> MinerBuilder {
    builder
        .metagraph(chain.clone(), monitor)
        .serve_axon(chain, external)
}
