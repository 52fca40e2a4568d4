//! A fixed-bucket latency histogram with atomic counters: recording is a few relaxed atomic
//! adds, no lock, so it sits on the request path.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Bucket upper bounds in microseconds: 100 µs to 10 s, roughly ×2.5 apart.
const BOUNDS_US: [u64; 14] = [
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000,
    2_500_000, 10_000_000,
];

/// Request latencies, in Prometheus histogram form.
#[derive(Debug, Default)]
pub struct LatencyHistogram {
    /// Observations per bucket (not cumulative); the last slot is above every bound.
    buckets: [AtomicU64; BOUNDS_US.len() + 1],
    sum_us: AtomicU64,
    count: AtomicU64,
}

impl LatencyHistogram {
    /// Records one observation.
    pub fn record(&self, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        let slot = BOUNDS_US.partition_point(|bound| *bound < us);
        self.buckets[slot].fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(us, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// `(upper bound in seconds, cumulative count)` for every bucket, `+Inf` last as
    /// `f64::INFINITY`; then the sum in seconds and the count.
    pub fn snapshot(&self) -> (Vec<(f64, u64)>, f64, u64) {
        let mut cumulative = 0;
        let mut buckets = Vec::with_capacity(BOUNDS_US.len() + 1);
        for (i, bucket) in self.buckets.iter().enumerate() {
            cumulative += bucket.load(Ordering::Relaxed);
            let bound = BOUNDS_US
                .get(i)
                .map_or(f64::INFINITY, |us| *us as f64 / 1e6);
            buckets.push((bound, cumulative));
        }
        let sum = self.sum_us.load(Ordering::Relaxed) as f64 / 1e6;
        (buckets, sum, self.count.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_cumulative_buckets() {
        let h = LatencyHistogram::default();
        h.record(Duration::from_micros(50)); // <= 100 µs
        h.record(Duration::from_micros(100)); // <= 100 µs (bounds are inclusive)
        h.record(Duration::from_millis(3)); // <= 5 ms
        h.record(Duration::from_secs(60)); // +Inf
        let (buckets, sum, count) = h.snapshot();
        assert_eq!(count, 4);
        assert!((sum - 60.003_15).abs() < 1e-9, "{sum}");
        assert_eq!(buckets[0], (0.0001, 2));
        let five_ms = buckets.iter().find(|(b, _)| *b == 0.005).unwrap();
        assert_eq!(five_ms.1, 3);
        assert_eq!(buckets.last(), Some(&(f64::INFINITY, 4)));
        assert!(buckets.windows(2).all(|w| w[0].1 <= w[1].1));
    }
}
