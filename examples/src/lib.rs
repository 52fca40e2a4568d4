//! Runnable Axonite subnets: the synapses and handlers the demo and tests use.
//!
//! - [`echo`]: a unary synapse that returns what it receives, and a streaming synapse that
//!   splits text into words.
//! - [`legacy`]: synapses shaped like the bittensor SDK's, served to Python dendrites too.
//! - [`demo_miners`]: echo miners that are slow or panic on purpose, for the demo.
#![warn(missing_docs, unreachable_pub)]

pub mod demo_miners;
pub mod echo;
pub mod legacy;
