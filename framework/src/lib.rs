//! # Axonite
//!
//! Axonite is a Rust framework for Bittensor subnets. This crate, `axonite`, is what a subnet
//! writes against: typed [synapses](synapse), [handler] traits, [identity] (sr25519 hotkeys
//! and bittensor wallets), and the `axonite/1` [protocol] with its [handshake]. It holds no
//! actors and does no I/O beyond building TLS configs; the supervised runtime that serves and
//! queries lives in the `axonite-actors` crate.
//!
//! The concepts, in the order a request meets them:
//! - a validator dials a miner over QUIC ([`transport`]) and proves its hotkey in a
//!   [handshake] bound to that TLS session; the miner proves its own;
//! - each request travels on its own stream: a [`RequestHead`](protocol::RequestHead) frame
//!   then a body frame holding the MessagePack of a [`Synapse`];
//! - the miner's [`Service`](service::Service) decodes it, runs the [`Admission`] hooks
//!   (verify, blacklist, priority) and then the [`Handler`].
#![warn(missing_docs, unreachable_pub)]

pub mod directory;
pub mod handler;
pub mod handshake;
pub mod identity;
pub mod peer;
pub mod protocol;
pub mod service;
pub mod synapse;
pub mod transport;

pub use handler::{
    Admission, Blacklist, Caller, Handler, HandlerError, RequestContext, StreamHandler,
};
pub use identity::{Hotkey, Keypair};
pub use peer::Peer;
pub use protocol::StatusCode;
pub use service::{ChunkSink, SinkError};
pub use synapse::{StreamingSynapse, Synapse};
