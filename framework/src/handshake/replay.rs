//! A bounded memory of recently accepted handshake nonces.

use std::collections::{HashSet, VecDeque};

use crate::identity::Hotkey;

/// Why the window refused a nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// The (hotkey, nonce) pair is already in the window.
    #[error("nonce already seen")]
    Replayed,
    /// The window holds `capacity` unexpired entries.
    #[error("replay window full")]
    Full,
}

type Key = (Hotkey, [u8; 16]);

/// Remembers accepted (hotkey, nonce) pairs until their handshake could no longer pass the
/// freshness check, so a replay inside the window is caught and memory stays bounded.
///
/// Entries leave in insertion order once expired. When `capacity` unexpired entries are held
/// the window refuses new ones ([`ReplayError::Full`]) instead of forgetting: failing closed
/// is the safe side of a flood. Insert only after the signature verified, so unauthenticated
/// peers cannot fill it.
#[derive(Debug)]
pub struct ReplayWindow {
    seen: HashSet<Key>,
    order: VecDeque<(u64, Key)>,
    capacity: usize,
}

impl ReplayWindow {
    /// A window that holds at most `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        Self {
            seen: HashSet::new(),
            order: VecDeque::new(),
            capacity,
        }
    }

    /// Records `(hotkey, nonce)` until `expires_ms`, unless it is already present or the
    /// window is full.
    pub fn insert(
        &mut self,
        hotkey: Hotkey,
        nonce: [u8; 16],
        now_ms: u64,
        expires_ms: u64,
    ) -> Result<(), ReplayError> {
        self.prune(now_ms);
        let key = (hotkey, nonce);
        if self.seen.contains(&key) {
            return Err(ReplayError::Replayed);
        }
        if self.seen.len() >= self.capacity {
            return Err(ReplayError::Full);
        }
        self.seen.insert(key);
        self.order.push_back((expires_ms, key));
        Ok(())
    }

    /// Number of remembered entries.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    fn prune(&mut self, now_ms: u64) {
        while let Some((expires, key)) = self.order.front().copied() {
            if expires > now_ms {
                break;
            }
            self.order.pop_front();
            self.seen.remove(&key);
        }
        if self.order.capacity() > 64 && self.order.len() < self.order.capacity() / 4 {
            self.order.shrink_to(self.order.len() * 2);
            self.seen.shrink_to(self.seen.len() * 2);
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn key(i: u8) -> Hotkey {
        Hotkey::from_bytes([i; 32])
    }

    #[test]
    fn a_nonce_is_refused_twice_within_its_lifetime() {
        let mut w = ReplayWindow::new(10);
        w.insert(key(1), [1; 16], 0, 100).unwrap();
        assert_eq!(
            w.insert(key(1), [1; 16], 50, 150),
            Err(ReplayError::Replayed)
        );
        // Same nonce from another hotkey is a different entry.
        w.insert(key(2), [1; 16], 50, 150).unwrap();
    }

    #[test]
    fn expired_entries_are_forgotten() {
        let mut w = ReplayWindow::new(10);
        w.insert(key(1), [1; 16], 0, 100).unwrap();
        w.insert(key(1), [1; 16], 100, 200).unwrap();
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn a_full_window_fails_closed() {
        let mut w = ReplayWindow::new(2);
        w.insert(key(1), [1; 16], 0, 100).unwrap();
        w.insert(key(1), [2; 16], 0, 100).unwrap();
        assert_eq!(w.insert(key(1), [3; 16], 10, 110), Err(ReplayError::Full));
        // Once the old entries expire there is room again.
        w.insert(key(1), [3; 16], 100, 200).unwrap();
    }

    proptest! {
        #[test]
        fn memory_never_exceeds_capacity(ops in proptest::collection::vec((0u8..4, 0u8..8, 0u64..50), 0..400)) {
            let mut w = ReplayWindow::new(16);
            let mut now = 0;
            for (k, n, dt) in ops {
                now += dt;
                let _ = w.insert(key(k), [n; 16], now, now + 100);
                prop_assert!(w.len() <= 16);
                prop_assert_eq!(w.seen.len(), w.order.len());
            }
        }
    }
}
