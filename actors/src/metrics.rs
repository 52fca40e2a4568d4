//! Prometheus metrics: lock-free latency histograms, the text exposition format, and a small
//! HTTP endpoint that serves it (off by default; bound where the operator says, loopback in
//! the examples).
//!
//! A miner with [`MinerBuilder::metrics`](crate::MinerBuilder::metrics) serves, on
//! `GET /metrics`: requests by synapse and status, request latency histograms by synapse,
//! queue depths, active and pending connections, handshakes by outcome, connections refused
//! by reason, rate-limit refusals, metagraph block and age, and restarts by actor.
//! A validator with [`ValidatorBuilder::metrics`](crate::ValidatorBuilder::metrics) serves
//! its queries by synapse and outcome, query latency histograms, connections to miners,
//! metagraph block and age, the last weights that landed, and restarts by actor.

mod counts;
mod exposition;
mod histogram;
mod runtime;
mod server;

pub use counts::RequestCounts;
pub(crate) use counts::StatusTally;
pub use exposition::Exposition;
pub use histogram::LatencyHistogram;
pub(crate) use runtime::{metagraph_samples, restart_samples, supervisor_restarts};
pub(crate) use server::{Render, SupervisorCell, endpoint};
