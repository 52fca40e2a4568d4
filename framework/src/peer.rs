//! Where to reach a miner: its hotkey and its QUIC address.

use std::fmt;
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use crate::identity::Hotkey;

/// A miner as a validator dials it. Without a chain, validators are given these directly
/// (static peers); with a chain they come from the metagraph's axons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Peer {
    /// The miner's hotkey; the handshake proves the miner holds it.
    pub hotkey: Hotkey,
    /// The miner's UDP address.
    pub addr: SocketAddr,
}

impl Peer {
    /// A peer at `addr` that must prove `hotkey`.
    pub fn new(hotkey: Hotkey, addr: SocketAddr) -> Self {
        Self { hotkey, addr }
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.hotkey, self.addr)
    }
}
