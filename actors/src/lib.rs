//! # axonite-actors
//!
//! The supervised runtime of Axonite, built on [ractor]: a [`Miner`] that serves typed
//! synapses over authenticated QUIC, and a [`Validator`] that queries miners one at a time or
//! all at once. Every long-lived part is an actor under a [supervisor] with a tested restart
//! policy: a crash is contained, logged and restarted, never silent.
//!
//! The hot path pays no mailbox round trip per request: connection tasks hand requests to a
//! shared priority queue that supervised worker actors drain, and validators find open
//! connections in a concurrent map.
#![warn(missing_docs, unreachable_pub)]

pub mod chain;
mod handler;
mod handshake;
pub mod metagraph;
pub mod metrics;
pub mod miner;
pub mod progress;
pub mod rate_limit;
mod signal;
pub mod supervisor;
mod task;
mod text;
mod time;
pub mod validator;
pub mod weights;

pub use handshake::HandshakeFailure;
pub use miner::{Miner, MinerBuilder, MinerConfig, MinerError, MinerStats, RequestCounts};
pub use signal::{StopSignal, shutdown_signal};
pub use validator::{
    QueryError, QueryResult, Validator, ValidatorBuilder, ValidatorConfig, ValidatorError,
};
