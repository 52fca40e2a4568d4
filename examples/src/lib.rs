//! Runnable Axonite subnets: the synapses and handlers the demo and tests use.
//!
//! - [`echo`]: a unary synapse that returns what it receives, and a streaming synapse that
//!   splits text into words.
#![warn(missing_docs, unreachable_pub)]

pub mod echo;
