//! Where to reach a miner: its hotkey, its address, and whether it speaks Axonite's QUIC
//! protocol or the legacy bittensor HTTP one (a Python axon).

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
    /// The miner's address: UDP for QUIC, TCP for legacy HTTP.
    pub addr: SocketAddr,
    /// How to talk to it.
    #[serde(default)]
    pub protocol: PeerProtocol,
}

/// The protocol a miner speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PeerProtocol {
    /// Axonite's `axonite/1` over QUIC, with the session-bound handshake.
    #[default]
    Quic,
    /// The bittensor SDK's HTTP axon (10.x): JSON synapses, signed `bt_header_*` headers.
    /// Its hotkey is not proven by a handshake: the signature binds each request to it.
    LegacyHttp,
}

impl Peer {
    /// An Axonite miner at `addr` that must prove `hotkey`.
    pub fn new(hotkey: Hotkey, addr: SocketAddr) -> Self {
        Self {
            hotkey,
            addr,
            protocol: PeerProtocol::Quic,
        }
    }

    /// A miner running the SDK's Python axon at `addr` (TCP) with `hotkey`.
    pub fn legacy(hotkey: Hotkey, addr: SocketAddr) -> Self {
        Self {
            hotkey,
            addr,
            protocol: PeerProtocol::LegacyHttp,
        }
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.protocol {
            PeerProtocol::Quic => write!(f, "{}@{}", self.hotkey, self.addr),
            PeerProtocol::LegacyHttp => write!(f, "{}@http://{}", self.hotkey, self.addr),
        }
    }
}
