//! Setting weights on chain from the validator's scores.
//!
//! The validator hands its latest scores to [`Validator::set_scores`](crate::Validator::set_scores);
//! a [`WeightSetter`] actor decides when to submit them from the metagraph it follows (the
//! subnet's weights rate limit and this validator's last update), uses commit-reveal when the
//! subnet has it enabled (commit now, reveal in the window the runtime allows), retries with
//! backoff, and reports what landed in a [`WeightsReport`]. The decisions are pure functions
//! in [`plan`]; the chain is reached through a [`WeightsSubmitter`].

pub mod plan;
mod setter;
#[cfg(test)]
mod tests;

pub use setter::{
    Submission, WeightSetter, WeightsArgs, WeightsConfig, WeightsHandle, WeightsReport,
    WeightsSubmitter,
};
