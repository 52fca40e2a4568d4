//! Freshness of legacy requests: a bounded time window on every nonce, and a bounded table of
//! the nonces accepted inside it.
//!
//! The SDK checks the window only for the first request of a (hotkey, uuid), then requires
//! growing nonces, and never forgets one. Here every request must be inside the window, each
//! nonce is accepted once, and a nonce is forgotten when its window closes: any replay of it
//! is then stale anyway.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use sha2::{Digest as _, Sha256};

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
        let window = duration_ns(self.allowed_delta.saturating_add(credit(self, timeout)));
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

/// The nonces accepted recently, each remembered until it leaves its freshness window, so a
/// replay inside the window is refused and memory stays bounded.
///
/// Unlike the SDK (whose nonces must grow per (hotkey, uuid)), order does not matter: a
/// dendrite's concurrent requests reach a multi-threaded server in any order, and each is
/// still accepted exactly once. Record a nonce only after its request's signature verified,
/// so that unauthenticated peers cannot fill the table. When `capacity` nonces are all still
/// inside their windows, new ones are refused ([`LegacyError::NonceTableFull`]) rather than
/// old ones forgotten: forgetting would let a replay through.
#[derive(Debug)]
pub struct NonceTable {
    seen: HashSet<NonceKey>,
    /// Keys in the order they were recorded, with the time they can be forgotten.
    expiries: VecDeque<(u64, NonceKey)>,
    capacity: usize,
    config: FreshnessConfig,
}

/// (dendrite hotkey, hash of its uuid, nonce).
type NonceKey = (Hotkey, u64, u64);

impl NonceTable {
    /// A table of at most `capacity` nonces, each forgotten once `config` would refuse it
    /// as stale anyway.
    pub fn new(capacity: usize, config: &FreshnessConfig) -> Self {
        Self {
            seen: HashSet::new(),
            expiries: VecDeque::new(),
            capacity,
            config: *config,
        }
    }

    /// Accepts `nonce` from (hotkey, uuid), sent with `timeout` seconds, if it was not
    /// accepted before, and records it; otherwise [`LegacyError::Replayed`].
    pub fn accept(
        &mut self,
        hotkey: Hotkey,
        uuid: &str,
        nonce: u64,
        timeout: Option<f64>,
        now_ns: u64,
    ) -> Result<(), LegacyError> {
        self.prune(now_ns);
        let key = (hotkey, uuid_hash(uuid), nonce);
        if self.seen.contains(&key) {
            return Err(LegacyError::Replayed);
        }
        if self.seen.len() >= self.capacity {
            return Err(LegacyError::NonceTableFull);
        }
        // Stale past this point (see `FreshnessConfig::check`), so no longer worth keeping.
        let window = self
            .config
            .allowed_delta
            .saturating_add(credit(&self.config, timeout));
        self.seen.insert(key);
        self.expiries
            .push_back((nonce.saturating_add(duration_ns(window)), key));
        Ok(())
    }

    /// Number of remembered nonces.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Forgets the nonces at the front whose window has closed. Windows differ by timeout,
    /// so a long one can hold shorter ones behind it for at most `max_timeout_credit`; the
    /// capacity bounds memory either way.
    fn prune(&mut self, now_ns: u64) {
        while let Some((expiry, key)) = self.expiries.front().copied() {
            if expiry > now_ns {
                break;
            }
            self.expiries.pop_front();
            self.seen.remove(&key);
        }
        if self.seen.capacity() > 64 && self.seen.len() < self.seen.capacity() / 4 {
            self.seen.shrink_to(self.seen.len() * 2);
            self.expiries.shrink_to(self.expiries.len() * 2);
        }
    }
}

/// The credit a request's `timeout` adds to the window, capped.
fn credit(config: &FreshnessConfig, timeout: Option<f64>) -> Duration {
    timeout
        .filter(|t| t.is_finite() && *t > 0.0)
        .map_or(Duration::ZERO, |t| {
            Duration::from_secs_f64(t.min(config.max_timeout_credit.as_secs_f64()))
        })
}

fn uuid_hash(uuid: &str) -> u64 {
    let digest = Sha256::digest(uuid.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
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
    fn each_nonce_is_accepted_once_in_any_order() {
        let mut t = NonceTable::new(10, &FreshnessConfig::default());
        t.accept(key(1), "u", NOW, None, NOW).unwrap();
        assert_eq!(
            t.accept(key(1), "u", NOW, None, NOW),
            Err(LegacyError::Replayed)
        );
        // Concurrent requests arrive out of order: an older, unseen nonce is fine.
        t.accept(key(1), "u", NOW - 1, None, NOW).unwrap();
        t.accept(key(1), "u", NOW + 1, None, NOW).unwrap();
        assert_eq!(
            t.accept(key(1), "u", NOW - 1, None, NOW),
            Err(LegacyError::Replayed)
        );
        t.accept(key(1), "v", NOW, None, NOW).unwrap();
        t.accept(key(2), "u", NOW, None, NOW).unwrap();
        assert_eq!(t.len(), 5);
    }

    #[test]
    fn nonces_are_forgotten_when_their_window_closes_and_a_full_table_fails_closed() {
        let c = FreshnessConfig::default();
        let mut t = NonceTable::new(2, &c);
        t.accept(key(1), "u", NOW, None, NOW).unwrap();
        t.accept(key(2), "u", NOW, Some(12.0), NOW).unwrap();
        assert_eq!(
            t.accept(key(3), "u", NOW, None, NOW),
            Err(LegacyError::NonceTableFull)
        );
        // After 4 s the first nonce (no timeout) is stale and forgotten; the second (12 s
        // timeout) is still in its window.
        let later = NOW + 4 * S;
        t.accept(key(3), "u", later, None, later).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(
            t.accept(key(2), "u", NOW, Some(12.0), later),
            Err(LegacyError::Replayed)
        );
        let much_later = NOW + 20 * S;
        t.accept(key(4), "u", much_later, None, much_later).unwrap();
        assert_eq!(t.len(), 1);
    }

    proptest! {
        #[test]
        fn memory_never_exceeds_capacity(ops in proptest::collection::vec((0u8..6, 0u8..3, 0u64..20), 0..300)) {
            let c = FreshnessConfig::default();
            let mut t = NonceTable::new(8, &c);
            let mut now = NOW;
            for (k, u, dt) in ops {
                now += dt * S / 4;
                let _ = t.accept(key(k), &u.to_string(), now, Some(1.0), now);
                prop_assert!(t.len() <= 8);
            }
        }

        #[test]
        fn a_replayed_nonce_is_never_accepted(nonces in proptest::collection::vec(0u64..50, 1..100)) {
            let mut t = NonceTable::new(1_000, &FreshnessConfig::default());
            let mut seen = HashSet::new();
            for n in nonces {
                let r = t.accept(key(1), "u", NOW + n, None, NOW);
                prop_assert_eq!(r.is_ok(), seen.insert(n));
            }
        }
    }
}
