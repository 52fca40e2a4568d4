//! Freshness of legacy requests: a bounded time window on every nonce, and a bounded table of
//! the last nonce accepted per (dendrite hotkey, uuid).
//!
//! The SDK checks the window only for the first request of a (hotkey, uuid) and never forgets
//! a nonce. Here every request must be inside the window, and a table entry is dropped once
//! its last nonce is older than the widest window: any replay of it is then stale anyway.

use std::collections::HashMap;
use std::time::Duration;

use super::LegacyError;
use crate::identity::Hotkey;

/// The time window a legacy nonce (ns since the Unix epoch) must fall in.
///
/// A nonce is fresh when `now - (allowed_delta + min(timeout, max_timeout_credit)) < nonce
/// <= now + max_future_skew`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreshnessConfig {
    /// How old a nonce may be before the request's timeout is added. Default 4 s, the SDK's
    /// `ALLOWED_DELTA`.
    pub allowed_delta: Duration,
    /// The request's `timeout` extends the window, as in the SDK (a dendrite may sign long
    /// before a slow send completes), but by at most this much, so a peer cannot widen the
    /// window with a huge timeout. Default 60 s.
    pub max_timeout_credit: Duration,
    /// How far in the future a nonce may be (clock skew). The SDK has no bound. Default 2 s.
    pub max_future_skew: Duration,
}

impl Default for FreshnessConfig {
    fn default() -> Self {
        Self {
            allowed_delta: Duration::from_secs(4),
            max_timeout_credit: Duration::from_secs(60),
            max_future_skew: Duration::from_secs(2),
        }
    }
}

impl FreshnessConfig {
    /// The widest window any request can get: how long a table entry must be remembered.
    pub fn horizon(&self) -> Duration {
        self.allowed_delta.saturating_add(self.max_timeout_credit)
    }

    /// Checks `nonce` against the window at `now_ns`, for a request with `timeout` seconds.
    pub fn check(&self, nonce: u64, timeout: Option<f64>, now_ns: u64) -> Result<(), LegacyError> {
        let credit = timeout
            .filter(|t| t.is_finite() && *t > 0.0)
            .map_or(Duration::ZERO, |t| {
                Duration::from_secs_f64(t.min(self.max_timeout_credit.as_secs_f64()))
            });
        let window = duration_ns(self.allowed_delta.saturating_add(credit));
        if nonce > now_ns {
            let ahead = nonce - now_ns;
            if ahead > duration_ns(self.max_future_skew) {
                return Err(LegacyError::FromTheFuture {
                    ahead_ms: ahead / 1_000_000,
                });
            }
        } else if now_ns - nonce >= window {
            return Err(LegacyError::Stale {
                age_ms: (now_ns - nonce) / 1_000_000,
            });
        }
        Ok(())
    }
}

fn duration_ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The last nonce accepted from each (dendrite hotkey, uuid), bounded in memory.
///
/// Record a nonce only after its request's signature verified, so that unauthenticated
/// peers cannot fill the table. When `capacity` entries are all still inside the horizon,
/// new dendrites are refused ([`LegacyError::NonceTableFull`]) rather than old ones
/// forgotten: forgetting would let a replay through.
#[derive(Debug)]
pub struct NonceTable {
    last: HashMap<(Hotkey, String), u64>,
    capacity: usize,
    horizon_ns: u64,
    last_prune_ns: u64,
}

/// A full table rescans at most this often, so a flood cannot make every request O(n).
const FULL_RESCAN_NS: u64 = 100_000_000;

impl NonceTable {
    /// A table of at most `capacity` (hotkey, uuid) entries that forgets an entry once its
    /// last nonce is older than `config`'s [horizon](FreshnessConfig::horizon).
    pub fn new(capacity: usize, config: &FreshnessConfig) -> Self {
        Self {
            last: HashMap::new(),
            capacity,
            horizon_ns: duration_ns(config.horizon()),
            last_prune_ns: 0,
        }
    }

    /// Accepts `nonce` from (hotkey, uuid) if it is above the last one accepted, and records
    /// it; otherwise [`LegacyError::Replayed`].
    pub fn accept(
        &mut self,
        hotkey: Hotkey,
        uuid: &str,
        nonce: u64,
        now_ns: u64,
    ) -> Result<(), LegacyError> {
        let full = self.last.len() >= self.capacity;
        let due = now_ns.saturating_sub(self.last_prune_ns) >= self.horizon_ns;
        if due || (full && now_ns.saturating_sub(self.last_prune_ns) >= FULL_RESCAN_NS) {
            self.prune(now_ns);
        }
        let key = (hotkey, uuid.to_owned());
        let full = self.last.len() >= self.capacity;
        match self.last.get_mut(&key) {
            Some(last) if nonce <= *last => Err(LegacyError::Replayed),
            Some(last) => {
                *last = nonce;
                Ok(())
            }
            None if full => Err(LegacyError::NonceTableFull),
            None => {
                self.last.insert(key, nonce);
                Ok(())
            }
        }
    }

    /// Number of remembered (hotkey, uuid) entries.
    pub fn len(&self) -> usize {
        self.last.len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.last.is_empty()
    }

    fn prune(&mut self, now_ns: u64) {
        let oldest = now_ns.saturating_sub(self.horizon_ns);
        self.last.retain(|_, last| *last >= oldest);
        if self.last.capacity() > 64 && self.last.len() < self.last.capacity() / 4 {
            self.last.shrink_to(self.last.len() * 2);
        }
        self.last_prune_ns = now_ns;
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const S: u64 = 1_000_000_000;
    const NOW: u64 = 1_700_000_000 * S;

    fn key(i: u8) -> Hotkey {
        Hotkey::from_bytes([i; 32])
    }

    #[test]
    fn window_is_delta_plus_capped_timeout_and_bounded_ahead() {
        let c = FreshnessConfig::default();
        assert_eq!(c.check(NOW - 3 * S, None, NOW), Ok(()));
        assert_eq!(
            c.check(NOW - 4 * S, None, NOW),
            Err(LegacyError::Stale { age_ms: 4000 })
        );
        assert_eq!(c.check(NOW - 15 * S, Some(12.0), NOW), Ok(()));
        assert!(c.check(NOW - 17 * S, Some(12.0), NOW).is_err());
        // A huge timeout buys at most max_timeout_credit.
        assert!(c.check(NOW - 70 * S, Some(1e12), NOW).is_err());
        assert_eq!(c.check(NOW + 2 * S, None, NOW), Ok(()));
        assert_eq!(
            c.check(NOW + 3 * S, None, NOW),
            Err(LegacyError::FromTheFuture { ahead_ms: 3000 })
        );
        assert!(c.check(0, None, NOW).is_err());
        assert!(c.check(u64::MAX, None, NOW).is_err());
    }

    #[test]
    fn nonces_must_increase_per_hotkey_and_uuid() {
        let mut t = NonceTable::new(10, &FreshnessConfig::default());
        t.accept(key(1), "u", NOW, NOW).unwrap();
        assert_eq!(t.accept(key(1), "u", NOW, NOW), Err(LegacyError::Replayed));
        assert_eq!(
            t.accept(key(1), "u", NOW - 1, NOW),
            Err(LegacyError::Replayed)
        );
        t.accept(key(1), "u", NOW + 1, NOW).unwrap();
        t.accept(key(1), "v", NOW, NOW).unwrap();
        t.accept(key(2), "u", NOW, NOW).unwrap();
    }

    #[test]
    fn old_entries_are_pruned_and_a_full_table_fails_closed() {
        let c = FreshnessConfig::default();
        let mut t = NonceTable::new(2, &c);
        t.accept(key(1), "u", NOW, NOW).unwrap();
        t.accept(key(2), "u", NOW, NOW).unwrap();
        assert_eq!(
            t.accept(key(3), "u", NOW, NOW),
            Err(LegacyError::NonceTableFull)
        );
        let later = NOW + duration_ns(c.horizon()) + S;
        t.accept(key(3), "u", later, later).unwrap();
        assert_eq!(t.len(), 1);
    }

    proptest! {
        #[test]
        fn memory_never_exceeds_capacity(ops in proptest::collection::vec((0u8..6, 0u8..3, 0u64..20), 0..300)) {
            let c = FreshnessConfig::default();
            let mut t = NonceTable::new(8, &c);
            let mut now = NOW;
            for (k, u, dt) in ops {
                now += dt * S;
                let _ = t.accept(key(k), &u.to_string(), now, now);
                prop_assert!(t.len() <= 8);
            }
        }

        #[test]
        fn a_replayed_nonce_is_never_accepted(nonces in proptest::collection::vec(0u64..50, 1..100)) {
            let mut t = NonceTable::new(8, &FreshnessConfig::default());
            let mut best: Option<u64> = None;
            for n in nonces {
                let r = t.accept(key(1), "u", NOW + n, NOW);
                prop_assert_eq!(r.is_ok(), best.is_none_or(|b| NOW + n > b));
                if r.is_ok() { best = Some(NOW + n); }
            }
        }
    }
}
