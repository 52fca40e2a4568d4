//! Benchmark scenarios, one per file. Each starts its role processes, drives them, and prints
//! one markdown table.

pub mod axonite;
pub mod echo;
pub mod legacy;
pub mod profile;
pub mod protection;
pub mod scale;

use crate::cpu::CpuError;
use crate::mem::MemError;
use crate::proc::ProcError;
use crate::report::ReportError;
use crate::udp::UdpError;

/// Why a scenario could not finish.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// A role process failed.
    #[error(transparent)]
    Proc(#[from] ProcError),
    /// A role process printed something we could not read.
    #[error("role `{role}` printed an unreadable `{what}` line: {detail}")]
    Garbled {
        /// The role.
        role: &'static str,
        /// Which line.
        what: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// CPU time could not be read.
    #[error(transparent)]
    Cpu(#[from] CpuError),
    /// Memory could not be read.
    #[error(transparent)]
    Mem(#[from] MemError),
    /// UDP drop counters could not be read.
    #[error(transparent)]
    Udp(#[from] UdpError),
    /// The JSON report could not be written.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// Bad arguments.
    #[error("{0}")]
    Usage(String),
}
