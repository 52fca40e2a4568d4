//! A bounded priority queue that sheds the lowest priority first.

use std::cmp::Ordering;
use std::collections::BTreeMap;

/// `f64` with a total order (`f64::total_cmp`), for use as a map key.
#[derive(Debug, Clone, Copy)]
struct Priority(f64);

impl PartialEq for Priority {
    fn eq(&self, other: &Self) -> bool {
        self.0.total_cmp(&other.0) == Ordering::Equal
    }
}
impl Eq for Priority {}
impl PartialOrd for Priority {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Priority {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Higher priority first; among equal priorities, first in first out (a smaller sequence
/// number must sort *after* a larger one, so it is stored negated).
type Key = (Priority, std::cmp::Reverse<u64>);

/// Bounded queue ordered by priority. When full, a new item either displaces the lowest
/// priority item (returned to the caller to refuse) or is refused itself if it is not higher.
#[derive(Debug)]
pub(crate) struct JobQueue<T> {
    items: BTreeMap<Key, T>,
    capacity: usize,
    next_seq: u64,
}

impl<T> JobQueue<T> {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            items: BTreeMap::new(),
            capacity: capacity.max(1),
            next_seq: 0,
        }
    }

    /// Queues `item`. Returns the item that had to be shed, if any: the lowest-priority queued
    /// item when the new one ranks above it, otherwise the new item itself.
    pub(crate) fn push(&mut self, priority: f64, item: T) -> Option<T> {
        let seq = self.next_seq;
        self.next_seq += 1;
        let key = (Priority(priority), std::cmp::Reverse(seq));
        if self.items.len() < self.capacity {
            self.items.insert(key, item);
            return None;
        }
        match self.items.first_key_value() {
            // Strictly higher priority displaces the lowest (and among those, the newest).
            Some((lowest, _)) if key.0 > lowest.0 => {
                let shed = self.items.pop_first().map(|(_, v)| v);
                self.items.insert(key, item);
                shed
            }
            _ => Some(item),
        }
    }

    /// True when a push would have to shed.
    pub(crate) fn is_full(&self) -> bool {
        self.items.len() >= self.capacity
    }

    /// Removes and returns the items `dead` says can no longer be served, keeping the order
    /// of the rest. O(n log n); called only when the queue is full.
    pub(crate) fn remove_dead(&mut self, mut dead: impl FnMut(&T) -> bool) -> Vec<T> {
        let mut removed = Vec::new();
        for (key, item) in std::mem::take(&mut self.items) {
            if dead(&item) {
                removed.push(item);
            } else {
                self.items.insert(key, item);
            }
        }
        removed
    }

    /// Takes the highest-priority item (oldest among equals).
    pub(crate) fn pop(&mut self) -> Option<T> {
        self.items.pop_last().map(|(_, v)| v)
    }

    /// Removes and returns every queued item.
    pub(crate) fn drain(&mut self) -> Vec<T> {
        std::mem::take(&mut self.items).into_values().collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn higher_priority_runs_first_and_equal_priorities_keep_arrival_order() {
        let mut q = JobQueue::new(10);
        q.push(1.0, "low-a");
        q.push(5.0, "high");
        q.push(1.0, "low-b");
        assert_eq!(q.pop(), Some("high"));
        assert_eq!(q.pop(), Some("low-a"));
        assert_eq!(q.pop(), Some("low-b"));
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn a_full_queue_sheds_the_lowest_priority() {
        let mut q = JobQueue::new(2);
        assert_eq!(q.push(1.0, "a"), None);
        assert_eq!(q.push(2.0, "b"), None);
        // Higher than the lowest: displaces it.
        assert_eq!(q.push(3.0, "c"), Some("a"));
        // Not higher than the lowest: refused itself.
        assert_eq!(q.push(2.0, "d"), Some("d"));
        assert_eq!(q.pop(), Some("c"));
        assert_eq!(q.pop(), Some("b"));
    }

    #[test]
    fn nan_and_infinities_do_not_break_the_order() {
        let mut q = JobQueue::new(4);
        q.push(f64::NAN, "nan");
        q.push(f64::INFINITY, "inf");
        q.push(f64::NEG_INFINITY, "-inf");
        q.push(0.0, "zero");
        assert_eq!(q.len(), 4);
        let mut out = Vec::new();
        while let Some(x) = q.pop() {
            out.push(x);
        }
        assert_eq!(out.len(), 4);
        assert_eq!(out.last(), Some(&"-inf"));
    }

    #[test]
    fn dead_items_make_room_without_shedding_live_ones() {
        let mut q = JobQueue::new(2);
        q.push(5.0, ("expired", true));
        q.push(1.0, ("live", false));
        assert!(q.is_full());
        let dead = q.remove_dead(|(_, dead)| *dead);
        assert_eq!(dead, vec![("expired", true)]);
        // Room again: a low-priority newcomer is queued, not shed.
        assert_eq!(q.push(0.5, ("newcomer", false)), None);
        assert_eq!(q.pop(), Some(("live", false)));
        assert_eq!(q.pop(), Some(("newcomer", false)));
    }

    proptest! {
        #[test]
        fn remove_dead_takes_exactly_the_dead_and_keeps_the_live_in_order(
            items in proptest::collection::vec((-10i32..10, any::<bool>()), 0..40)
        ) {
            let mut q = JobQueue::new(64);
            for (p, dead) in &items {
                q.push(f64::from(*p), (*p, *dead));
            }
            let removed = q.remove_dead(|(_, d)| *d);
            prop_assert!(removed.iter().all(|(_, d)| *d));
            prop_assert_eq!(removed.len(), items.iter().filter(|(_, d)| *d).count());
            let mut live = Vec::new();
            while let Some((p, d)) = q.pop() {
                prop_assert!(!d);
                live.push(p);
            }
            let mut expected: Vec<i32> = items.iter().filter(|(_, d)| !*d).map(|(p, _)| *p).collect();
            expected.sort_unstable_by(|a, b| b.cmp(a));
            prop_assert_eq!(live, expected);
        }

        #[test]
        fn never_exceeds_capacity_and_pops_in_priority_order(
            prios in proptest::collection::vec(-100i32..100, 0..200), cap in 1usize..20
        ) {
            let mut q = JobQueue::new(cap);
            let mut shed = 0;
            for p in &prios {
                if q.push(f64::from(*p), *p).is_some() { shed += 1; }
                prop_assert!(q.len() <= cap);
            }
            prop_assert_eq!(q.len() + shed, prios.len());
            let mut last = i32::MAX;
            while let Some(p) = q.pop() {
                prop_assert!(p <= last);
                last = p;
            }
            // What stayed is the top `cap` priorities.
            let mut sorted = prios.clone();
            sorted.sort_unstable_by(|a, b| b.cmp(a));
            if let Some(&kth) = sorted.get(cap.min(sorted.len()).saturating_sub(1)) {
                prop_assert!(prios.is_empty() || last >= kth || q.is_empty());
            }
        }
    }
}
