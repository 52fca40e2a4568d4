//! The actor that keeps the limiter's memory bounded.

use std::sync::Arc;
use std::time::Duration;

use ractor::{Actor, ActorProcessingErr, ActorRef};

use super::RateLimits;

/// Owns the sweeping of a miner's [`RateLimits`]: every interval it drops idle keys. The
/// checks themselves never pass through it.
pub struct RateLimiter;

/// Time to sweep.
pub struct Sweep;

impl Actor for RateLimiter {
    type Msg = Sweep;
    type State = (Arc<RateLimits>, Duration);
    type Arguments = (Arc<RateLimits>, Duration);

    async fn pre_start(
        &self,
        myself: ActorRef<Sweep>,
        args: Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        myself.send_interval(args.1, || Sweep);
        Ok(args)
    }

    async fn handle(
        &self,
        _: ActorRef<Sweep>,
        _: Sweep,
        (limits, _): &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        let before = limits.key_count();
        limits.sweep();
        tracing::debug!(before, after = limits.key_count(), "rate-limit keys swept");
        Ok(())
    }
}
