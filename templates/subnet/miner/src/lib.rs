//! The miner of {{project-name}}: the handler that answers [`Challenge`]s, and the Axonite
//! miner that serves it.
//!
//! The binary (`src/main.rs`) reads the command line and the wallet and calls [`builder`];
//! the tests call the same function with a generated key on `127.0.0.1:0`.
//!
//! [`Challenge`]: protocol::Challenge

mod handler;

use std::net::SocketAddr;

use axonite::Keypair;
use axonite_actors::{Miner, MinerBuilder};
use protocol::Challenge;

pub use handler::{SubnetMiner, solve};

/// A miner proving `keypair`'s hotkey on `netuid`, listening on `listen` (UDP, QUIC) and
/// answering [`Challenge`] with `handler`. Add `.metrics(addr)` and, to follow a chain,
/// `.metagraph(..)` and `.serve_axon(..)` before `.start()`.
pub fn builder(
    keypair: Keypair,
    netuid: u16,
    listen: SocketAddr,
    handler: SubnetMiner,
) -> MinerBuilder {
    Miner::builder(keypair)
        .netuid(netuid)
        .listen(listen)
        .handler::<Challenge, _>(handler)
}
