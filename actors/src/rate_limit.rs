//! Rate limits per verified hotkey, with quotas from stake.
//!
//! Every request is checked, after the handshake proved its caller and before its body is
//! read, against a keyed [governor] limiter of the caller's stake tier (and, if set, a global
//! budget), with no mailbox round trip: governor's state is a concurrent map of atomics. A
//! refusal is answered 429. A [`RateLimiter`] actor drops idle keys periodically, so the
//! limiter's memory follows the active callers, not every hotkey ever seen.

mod limits;
mod sweeper;

pub use limits::{Quota, RateLimitConfig, RateLimited, RateLimits, StakeTier};
pub use sweeper::RateLimiter;
