//! placeholder (being written)
pub mod supervisor;
