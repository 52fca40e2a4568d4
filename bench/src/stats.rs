//! Latency and outcome recording: every request's latency in a vector, sorted once at the end.
//!
//! A run of a few hundred thousand requests costs a few MiB, and exact percentiles beat an
//! approximate histogram at this scale.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Records the outcome of each request of one client.
#[derive(Debug, Default)]
pub struct Recorder {
    latencies_ns: Vec<u64>,
    by_status: BTreeMap<u16, u64>,
}

impl Recorder {
    /// An empty recorder with room for `expected` requests.
    pub fn with_capacity(expected: usize) -> Self {
        Self {
            latencies_ns: Vec::with_capacity(expected),
            by_status: BTreeMap::new(),
        }
    }

    /// Records one request that ended with `status` after `latency`.
    pub fn record(&mut self, status: u16, latency: Duration) {
        let ns = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        self.latencies_ns.push(ns);
        *self.by_status.entry(status).or_default() += 1;
    }

    /// Adds everything `other` recorded.
    pub fn merge(&mut self, other: Recorder) {
        self.latencies_ns.extend(other.latencies_ns);
        for (status, n) in other.by_status {
            *self.by_status.entry(status).or_default() += n;
        }
    }

    /// Counts and latency percentiles of everything recorded.
    pub fn summary(mut self) -> Summary {
        self.latencies_ns.sort_unstable();
        let sorted = &self.latencies_ns;
        let at = |q: f64| -> f64 {
            if sorted.is_empty() {
                return 0.0;
            }
            // Nearest rank: the smallest sample with at least q of the samples at or below it.
            let rank = (q * sorted.len() as f64).ceil() as usize;
            micros(sorted[rank.clamp(1, sorted.len()) - 1])
        };
        Summary {
            sent: sorted.len() as u64,
            ok: self.by_status.get(&200).copied().unwrap_or(0),
            by_status: self.by_status.clone(),
            p50_us: at(0.50),
            p99_us: at(0.99),
            max_us: sorted.last().map_or(0.0, |&ns| micros(ns)),
        }
    }
}

fn micros(ns: u64) -> f64 {
    ns as f64 / 1_000.0
}

/// What a client's requests came to. Latencies are over every request, failed ones included
/// (a timed-out request counts at its timeout).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Requests that finished (answered or failed).
    pub sent: u64,
    /// Requests answered 200.
    pub ok: u64,
    /// Finished requests per status (200, 429, 503, 408 for a timeout, ...).
    pub by_status: BTreeMap<u16, u64>,
    /// Median latency, microseconds.
    pub p50_us: f64,
    /// 99th percentile latency, microseconds.
    pub p99_us: f64,
    /// Largest latency, microseconds.
    pub max_us: f64,
}

impl Summary {
    /// Requests that ended with `status`.
    pub fn status(&self, status: u16) -> u64 {
        self.by_status.get(&status).copied().unwrap_or(0)
    }

    /// Share of requests answered 200, 0 to 1 (0 when nothing was sent).
    pub fn success_rate(&self) -> f64 {
        if self.sent == 0 {
            0.0
        } else {
            self.ok as f64 / self.sent as f64
        }
    }

    /// Adds the counts of `other` (percentiles are not additive and are left as they are).
    pub fn add_counts(&mut self, other: &Summary) {
        self.sent += other.sent;
        self.ok += other.ok;
        for (status, n) in &other.by_status {
            *self.by_status.entry(*status).or_default() += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank_over_all_requests() {
        let mut r = Recorder::default();
        for ms in 1..=100 {
            let status = if ms % 10 == 0 { 429 } else { 200 };
            r.record(status, Duration::from_millis(ms));
        }
        let s = r.summary();
        assert_eq!((s.sent, s.ok, s.status(429)), (100, 90, 10));
        assert_eq!(s.p50_us, 50_000.0);
        assert_eq!(s.p99_us, 99_000.0);
        assert_eq!(s.max_us, 100_000.0);
        assert!((s.success_rate() - 0.9).abs() < 1e-9);
    }

    #[test]
    fn an_empty_recorder_summarises_to_zeros() {
        let s = Recorder::default().summary();
        assert_eq!(s, Summary::default());
        assert_eq!(s.success_rate(), 0.0);
    }

    #[test]
    fn merged_recorders_count_both() {
        let mut a = Recorder::default();
        a.record(200, Duration::from_micros(5));
        let mut b = Recorder::default();
        b.record(503, Duration::from_micros(7));
        a.merge(b);
        let s = a.summary();
        assert_eq!((s.sent, s.ok, s.status(503)), (2, 1, 1));
        assert_eq!(s.max_us, 7.0);
    }
}
