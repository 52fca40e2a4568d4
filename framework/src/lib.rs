//! # Axonite
//!
//! Axonite is a Rust framework for Bittensor subnets. This crate, `axonite`, is what a subnet
//! writes against: typed [synapses](synapse), [handler] traits, [identity] (sr25519 hotkeys
//! and bittensor wallets), the `axonite/1` [protocol] with its [handshake], the [metagraph]
//! model and a [chain] client (subxt, dynamic metadata) that reads it and submits
//! `serve_axon` and weights. It holds no actors: the supervised runtime that serves, queries,
//! follows the metagraph and sets weights lives in the `axonite-actors` crate.
//!
//! The concepts, in the order a request meets them:
//! - a validator dials a miner over QUIC ([`transport`]) and proves its hotkey in a
//!   [handshake] bound to that TLS session; the miner proves its own;
//! - each request travels on its own stream: a [`RequestHead`](protocol::RequestHead) frame
//!   then a body frame holding the MessagePack of a [`Synapse`];
//! - the miner's [`Service`](service::Service) decodes it, runs the [`Admission`] hooks
//!   (verify, blacklist, priority) and then the [`Handler`].
#![warn(missing_docs, unreachable_pub)]

#[cfg(feature = "chain")]
pub mod chain;
pub mod directory;
pub mod handler;
pub mod handshake;
pub mod identity;
pub mod legacy;
pub mod metagraph;
pub mod peer;
pub mod protocol;
pub mod service;
pub mod synapse;
pub mod transport;

pub use handler::{
    Admission, Blacklist, Caller, Handler, HandlerError, RequestContext, StreamHandler,
};
pub use identity::{Hotkey, Keypair};
pub use peer::{Peer, PeerProtocol};
pub use protocol::StatusCode;
pub use service::{ChunkSink, SinkError};
pub use synapse::{StreamingSynapse, Synapse};
