//! What peers hold at once (pending handshakes, legacy HTTP connections), counted against a
//! global cap and a per-IP cap, and released when the guard drops.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use dashmap::DashMap;

/// Counts of held slots, in total and by IP address (addresses holding none are forgotten).
#[derive(Debug, Default)]
pub(crate) struct IpSlots {
    total: AtomicUsize,
    by_ip: DashMap<IpAddr, usize>,
}

impl IpSlots {
    /// Slots held now, from every address.
    pub(crate) fn total(&self) -> usize {
        self.total.load(Ordering::Acquire)
    }

    /// Takes a slot for `ip`, or `None` when `max_total` or `max_per_ip` is reached.
    pub(crate) fn try_acquire(
        self: &Arc<Self>,
        ip: IpAddr,
        max_total: usize,
        max_per_ip: usize,
    ) -> Option<IpSlot> {
        if self.total.fetch_add(1, Ordering::AcqRel) >= max_total {
            self.total.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        let admitted = {
            let mut per_ip = self.by_ip.entry(ip).or_insert(0);
            if *per_ip >= max_per_ip {
                false
            } else {
                *per_ip += 1;
                true
            }
        };
        if !admitted {
            self.total.fetch_sub(1, Ordering::AcqRel);
            self.by_ip.remove_if(&ip, |_, n| *n == 0);
            return None;
        }
        Some(IpSlot {
            slots: self.clone(),
            ip,
        })
    }
}

/// One held slot; released on drop.
#[derive(Debug)]
pub(crate) struct IpSlot {
    slots: Arc<IpSlots>,
    ip: IpAddr,
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        self.slots.total.fetch_sub(1, Ordering::AcqRel);
        if let Some(mut n) = self.slots.by_ip.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
        }
        self.slots.by_ip.remove_if(&self.ip, |_, n| *n == 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_hold_globally_and_per_ip_and_drops_release() {
        let slots = Arc::new(IpSlots::default());
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let first = slots.try_acquire(a, 3, 2).unwrap();
        let second = slots.try_acquire(a, 3, 2).unwrap();
        assert!(slots.try_acquire(a, 3, 2).is_none(), "per-IP cap");
        let third = slots.try_acquire(b, 3, 2).unwrap();
        assert!(slots.try_acquire(b, 3, 2).is_none(), "global cap");
        assert_eq!(slots.total(), 3);
        drop((first, second, third));
        assert_eq!(slots.total(), 0);
        assert!(slots.by_ip.is_empty(), "idle addresses are forgotten");
    }
}
