//! The metagraph monitor: keeps a subnet's metagraph fresh for the hot path.
//!
//! A [`MetagraphMonitor`] actor reads a snapshot from a [`MetagraphSource`] (the chain) on
//! start and then every [`MonitorConfig::sync_interval`], publishes it through a
//! [`MetagraphHandle`] that miners and validators read without a mailbox round trip, and
//! broadcasts what changed as [`MetagraphEvent`]s. When the source fails it keeps serving the
//! last snapshot, reports itself [`SyncStatus::Stale`], and retries with backoff. A crash is
//! reported to its supervisor, which restarts it; the handle outlives restarts.
//!
//! ```text
//! source (chain) ──fetch──▶ MetagraphMonitor ──publish──▶ MetagraphHandle ◀── miner gate,
//!                                 │                                          validator pool
//!                                 └──────────── MetagraphEvent broadcast ──▶ subscribers
//! ```

mod events;
mod monitor;
mod source;
#[cfg(test)]
mod tests;

pub use events::{MetagraphEvent, diff};
pub use monitor::{MetagraphMonitor, MonitorArgs, MonitorConfig};
pub use source::{MetagraphHandle, MetagraphSource, StaticSource, SyncStatus};
