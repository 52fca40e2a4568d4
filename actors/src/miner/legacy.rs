//! The legacy HTTP axon: the miner answers bittensor 10.x dendrites (`bt_header_*` headers,
//! JSON synapses, sr25519 signatures) and btauth/1 clients (bittensor 11) over HTTP/1.1, on
//! TCP at the port number of its QUIC endpoint, from the same handlers, the same admission
//! (gate, rate limits, hooks) and the same per-synapse queues as QUIC requests.
//!
//! - `config.rs`: [`LegacyHttpConfig`];
//! - `server.rs`: the listener actor, connection caps, hyper;
//! - `activity.rs`: closing connections that do nothing (idle keep-alive, stalled readers);
//! - `request.rs`: one request's pipeline;
//! - `setup.rs`: binding the TCP port and building the shared state at start.

mod activity;
mod config;
mod request;
mod server;
mod setup;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axonite::legacy::{BtAuthVerifier, LegacyService, LegacyVerifier};

pub use config::LegacyHttpConfig;
pub(crate) use server::LegacyListener;
pub(crate) use setup::{bind_ports, legacy_shared};

use super::ip_slots::IpSlots;

/// What every legacy HTTP connection of a miner reads.
pub(crate) struct LegacyShared {
    /// Legacy synapses by their Python name (the URL path).
    pub(crate) routes: HashMap<&'static str, LegacyService>,
    pub(crate) verifier: LegacyVerifier,
    pub(crate) btauth: BtAuthVerifier,
    /// The bound TCP address.
    pub(crate) local: SocketAddr,
    pub(crate) hotkey_ss58: String,
    /// Cleared at shutdown: new connections are dropped.
    pub(crate) accepting: AtomicBool,
    /// Open HTTP connections, in total and per IP.
    pub(crate) connections: Arc<IpSlots>,
}
