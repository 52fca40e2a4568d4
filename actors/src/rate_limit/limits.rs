//! The limits themselves: pure checks over governor state.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axonite::{Caller, Hotkey};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter};

/// A sustained rate with a burst allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Requests per second, sustained.
    pub per_second: NonZeroU32,
    /// Requests allowed at once after idling.
    pub burst: NonZeroU32,
}

impl Quota {
    /// `per_second` sustained with a burst of `burst` (both at least 1).
    pub fn new(per_second: u32, burst: u32) -> Self {
        Self {
            per_second: NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN),
            burst: NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN),
        }
    }

    pub(crate) fn governor(self) -> governor::Quota {
        governor::Quota::per_second(self.per_second).allow_burst(self.burst)
    }
}

/// Callers with at least `min_stake` get `quota` (the highest tier they reach).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StakeTier {
    /// Stake needed for this tier.
    pub min_stake: f64,
    /// The tier's per-hotkey quota.
    pub quota: Quota,
}

/// How a miner rate-limits validators.
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimitConfig {
    /// Per-hotkey tiers. A caller gets the tier with the largest `min_stake` not above its
    /// stake; a caller below every tier is refused. Default: 10/s (burst 20) for everyone,
    /// 100/s (burst 200) from 1,000 stake, 1,000/s (burst 2,000) from 10,000 stake.
    pub tiers: Vec<StakeTier>,
    /// A budget for all callers together; `None` for none. Default `None`.
    pub global: Option<Quota>,
    /// How often idle keys are dropped. Default 30 s.
    pub sweep_interval: Duration,
    /// A connection whose requests are refused 429 this many times in a row is closed
    /// ([`CloseCode::RateLimited`](axonite::protocol::CloseCode::RateLimited)): a flooder
    /// that ignores its 429s then pays a new handshake, capped by the per-IP connection
    /// rate, instead of costing the miner a stream per refusal. `None`: never. Default 256.
    pub disconnect_after: Option<u32>,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            tiers: vec![
                StakeTier {
                    min_stake: 0.0,
                    quota: Quota::new(10, 20),
                },
                StakeTier {
                    min_stake: 1_000.0,
                    quota: Quota::new(100, 200),
                },
                StakeTier {
                    min_stake: 10_000.0,
                    quota: Quota::new(1_000, 2_000),
                },
            ],
            global: None,
            sweep_interval: Duration::from_secs(30),
            disconnect_after: Some(256),
        }
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RateLimited {
    /// The caller is over its tier's quota.
    #[error("rate limited: retry in {retry_after_ms} ms")]
    Caller {
        /// When a request would pass again.
        retry_after_ms: u64,
    },
    /// All callers together are over the global budget.
    #[error("miner is over its global request budget: retry in {retry_after_ms} ms")]
    Global {
        /// When a request would pass again.
        retry_after_ms: u64,
    },
    /// The caller's stake is below every tier.
    #[error("stake below the lowest rate-limit tier")]
    NoTier,
}

/// The live limiters of one miner. Shared by every connection; checks are lock-free.
pub struct RateLimits {
    /// Ascending by `min_stake`.
    tiers: Vec<(f64, DefaultKeyedRateLimiter<Hotkey>)>,
    global: Option<DefaultDirectRateLimiter>,
    clock: DefaultClock,
    refused_caller: AtomicU64,
    refused_global: AtomicU64,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits")
            .field("tiers", &self.tiers.len())
            .field("keys", &self.key_count())
            .finish_non_exhaustive()
    }
}

impl RateLimits {
    /// Limiters for `config` (tiers are sorted by stake; non-finite stakes are dropped).
    pub fn new(config: &RateLimitConfig) -> Self {
        let mut tiers: Vec<StakeTier> = config
            .tiers
            .iter()
            .copied()
            .filter(|t| t.min_stake.is_finite())
            .collect();
        tiers.sort_by(|a, b| a.min_stake.total_cmp(&b.min_stake));
        Self {
            tiers: tiers
                .into_iter()
                .map(|t| {
                    (
                        t.min_stake,
                        DefaultKeyedRateLimiter::dashmap(t.quota.governor()),
                    )
                })
                .collect(),
            global: config
                .global
                .map(|q| DefaultDirectRateLimiter::direct(q.governor())),
            clock: DefaultClock::default(),
            refused_caller: AtomicU64::new(0),
            refused_global: AtomicU64::new(0),
        }
    }

    /// Admits one request of `caller`, or says why not. The caller's own quota is checked
    /// first, so a flooding caller does not spend the global budget of the others.
    pub fn check(&self, caller: &Caller) -> Result<(), RateLimited> {
        let stake = if caller.stake.is_finite() {
            caller.stake
        } else {
            0.0
        };
        let Some((_, limiter)) = self.tiers.iter().rev().find(|(min, _)| stake >= *min) else {
            self.refused_caller.fetch_add(1, Ordering::Relaxed);
            return Err(RateLimited::NoTier);
        };
        if let Err(not_until) = limiter.check_key(&caller.hotkey) {
            self.refused_caller.fetch_add(1, Ordering::Relaxed);
            let wait = not_until.wait_time_from(self.clock.now());
            return Err(RateLimited::Caller {
                retry_after_ms: millis(wait),
            });
        }
        if let Some(global) = &self.global
            && let Err(not_until) = global.check()
        {
            self.refused_global.fetch_add(1, Ordering::Relaxed);
            let wait = not_until.wait_time_from(self.clock.now());
            return Err(RateLimited::Global {
                retry_after_ms: millis(wait),
            });
        }
        Ok(())
    }

    /// Drops keys whose state is back to fresh (idle long enough to have a full burst), and
    /// returns the freed memory.
    pub fn sweep(&self) {
        for (_, limiter) in &self.tiers {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// Keys held across all tiers.
    pub fn key_count(&self) -> usize {
        self.tiers.iter().map(|(_, l)| l.len()).sum()
    }

    /// Requests refused so far: `(over the caller's quota or below every tier, over the
    /// global budget)`.
    pub fn refusals(&self) -> (u64, u64) {
        (
            self.refused_caller.load(Ordering::Relaxed),
            self.refused_global.load(Ordering::Relaxed),
        )
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use axonite::Keypair;

    use super::*;

    fn caller(stake: f64) -> Caller {
        Caller {
            hotkey: Keypair::generate().hotkey(),
            addr: SocketAddr::from(([127, 0, 0, 1], 1)),
            uid: None,
            stake,
            validator_permit: true,
        }
    }

    fn config(global: Option<Quota>) -> RateLimitConfig {
        RateLimitConfig {
            tiers: vec![
                StakeTier {
                    min_stake: 0.0,
                    quota: Quota::new(1, 3),
                },
                StakeTier {
                    min_stake: 100.0,
                    quota: Quota::new(1, 30),
                },
            ],
            global,
            sweep_interval: Duration::from_secs(1),
            disconnect_after: None,
        }
    }

    fn admitted(limits: &RateLimits, caller: &Caller, n: usize) -> usize {
        (0..n).filter(|_| limits.check(caller).is_ok()).count()
    }

    #[test]
    fn each_caller_gets_the_burst_of_its_stake_tier() {
        let limits = RateLimits::new(&config(None));
        let (low, high) = (caller(5.0), caller(500.0));
        assert_eq!(admitted(&limits, &low, 10), 3);
        assert_eq!(admitted(&limits, &high, 40), 30);
        // Keys are separate: another low caller has its own burst.
        assert_eq!(admitted(&limits, &caller(0.0), 10), 3);
        assert_eq!(limits.refusals().0, 7 + 10 + 7);
        assert!(
            matches!(limits.check(&low), Err(RateLimited::Caller { retry_after_ms }) if retry_after_ms > 0)
        );
    }

    #[test]
    fn the_global_budget_is_shared_and_spent_only_by_admitted_requests() {
        let limits = RateLimits::new(&config(Some(Quota::new(1, 5))));
        let flooder = caller(0.0);
        // The flooder's own quota (3) stops it before it spends more of the global budget.
        assert_eq!(admitted(&limits, &flooder, 100), 3);
        let other = caller(500.0);
        assert_eq!(admitted(&limits, &other, 10), 2);
        assert!(matches!(
            limits.check(&other),
            Err(RateLimited::Global { .. })
        ));
    }

    #[test]
    fn callers_below_every_tier_are_refused_and_nan_stake_counts_as_zero() {
        let limits = RateLimits::new(&RateLimitConfig {
            tiers: vec![StakeTier {
                min_stake: 10.0,
                quota: Quota::new(1, 1),
            }],
            ..config(None)
        });
        assert_eq!(limits.check(&caller(1.0)), Err(RateLimited::NoTier));
        assert_eq!(limits.check(&caller(f64::NAN)), Err(RateLimited::NoTier));
    }

    #[test]
    fn idle_keys_are_swept_away() {
        // Refills in a millisecond: idle keys become fresh almost at once.
        let limits = RateLimits::new(&RateLimitConfig {
            tiers: vec![StakeTier {
                min_stake: 0.0,
                quota: Quota::new(1_000, 1),
            }],
            ..config(None)
        });
        for _ in 0..500 {
            let _ = limits.check(&caller(0.0));
        }
        assert_eq!(limits.key_count(), 500);
        std::thread::sleep(Duration::from_millis(20));
        limits.sweep();
        assert_eq!(limits.key_count(), 0);
    }
}
