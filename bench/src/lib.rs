//! # axonite-bench
//!
//! Axonite's benchmark harness. Each scenario runs miners and clients as separate processes
//! of the `axonite-bench` binary (hidden role subcommands, see [`roles`] and [`proc`]), all on
//! loopback, and prints one markdown table ([`report`]); `--json <path>` writes the figures
//! too. Figures from a debug build mean nothing: use `--release`.
//!
//! ```text
//! cargo run --release -p axonite-bench -- protection --quick
//! ```
#![warn(missing_docs, unreachable_pub)]

pub mod cpu;
pub mod echo;
pub mod keys;
pub mod mem;
pub mod peers;
pub mod proc;
pub mod report;
pub mod roles;
pub mod scenario;
pub mod stats;
pub mod udp;
