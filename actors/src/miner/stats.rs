//! What a miner counts: connections by outcome, and requests by synapse and response status.
//! Counters are relaxed atomics on the hot path; [`MinerStats`] is a snapshot of them for
//! tests, logs and metrics.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;

pub use crate::metrics::RequestCounts;
pub(crate) use crate::metrics::StatusTally;

/// Connection counters of one miner.
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) refused_busy: AtomicU64,
    pub(crate) refused_rate: AtomicU64,
    pub(crate) address_validations: AtomicU64,
    pub(crate) handshakes_ok: AtomicU64,
    pub(crate) handshakes_failed: AtomicU64,
    pub(crate) handshakes_tls_failed: AtomicU64,
    pub(crate) handshakes_refused: AtomicU64,
    pub(crate) handshakes_malformed: AtomicU64,
    pub(crate) handshakes_dropped: AtomicU64,
    pub(crate) handshakes_timed_out: AtomicU64,
    pub(crate) revoked: AtomicU64,
    pub(crate) disconnected_rate_limited: AtomicU64,
    pub(crate) lanes_opened: AtomicU64,
    pub(crate) lanes_broken: AtomicU64,
}

/// A snapshot of a miner's counters.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MinerStats {
    /// Connections refused before TLS because a pending-handshake or connection cap was hit.
    pub refused_busy: u64,
    /// Connection attempts dropped before TLS because their IP address opened connections
    /// faster than [`MinerConfig::connection_rate_per_ip`](super::MinerConfig) allows.
    pub refused_rate: u64,
    /// Connection attempts answered with a QUIC Retry (address validation under load).
    pub address_validations: u64,
    /// Handshakes that authenticated a validator.
    pub handshakes_ok: u64,
    /// Handshakes refused (bad signature, stale, replayed, wrong receiver, not admitted,
    /// garbage, TLS).
    pub handshakes_failed: u64,
    /// Of those: TLS did not complete (wrong ALPN, garbage, aborted).
    pub handshakes_tls_failed: u64,
    /// Of those: checked and refused (bad signature, stale, replayed, wrong receiver, not
    /// admitted by the gate or the allowlist).
    pub handshakes_refused: u64,
    /// Of those: not a well-formed handshake (garbage, wrong frame, oversized).
    pub handshakes_malformed: u64,
    /// Of those: the peer closed or the connection broke mid-handshake.
    pub handshakes_dropped: u64,
    /// Connections closed because the handshake did not finish in time.
    pub handshakes_timed_out: u64,
    /// Authenticated connections closed because their validator stopped passing the gate
    /// (deregistered, lost its permit, stake under the minimum) after a metagraph change.
    pub revoked: u64,
    /// Connections closed because their requests kept being refused 429
    /// ([`RateLimitConfig::disconnect_after`](crate::rate_limit::RateLimitConfig)).
    pub disconnected_rate_limited: u64,
    /// Lanes validators opened (long-lived streams carrying pipelined requests; see
    /// [`axonite::protocol`]).
    pub lanes_opened: u64,
    /// Of those: reset because their validator broke the lane's rules (an oversized body, a
    /// malformed head, a request that stalled halfway).
    pub lanes_broken: u64,
    /// Connections handshaking right now.
    pub pending_handshakes: usize,
    /// Authenticated connections open right now.
    pub active_connections: usize,
    /// Requests refused 429: over the caller's quota (or below every stake tier).
    pub rate_limited: u64,
    /// Requests refused 429: over the miner's global budget.
    pub rate_limited_global: u64,
    /// Hotkeys the rate limiter currently tracks.
    pub rate_limit_keys: usize,
    /// Requests by synapse and response status.
    pub requests: BTreeMap<&'static str, RequestCounts>,
    /// Requests refused before their synapse was known: a malformed or late head (400,
    /// 408), an unknown synapse (404).
    pub unrouted: RequestCounts,
}

impl MinerStats {
    /// Every request, all synapses together (and the unrouted ones).
    pub fn requests_total(&self) -> RequestCounts {
        let mut total = self.unrouted;
        for counts in self.requests.values() {
            total.add(counts);
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use axonite::protocol::StatusCode;

    use super::*;

    #[test]
    fn every_status_lands_in_its_own_counter() {
        let tally = StatusTally::default();
        let statuses = [
            StatusCode::OK,
            StatusCode::BAD_REQUEST,
            StatusCode::UNAUTHORIZED,
            StatusCode::FORBIDDEN,
            StatusCode::NOT_FOUND,
            StatusCode::TIMEOUT,
            StatusCode::PAYLOAD_TOO_LARGE,
            StatusCode::RATE_LIMITED,
            StatusCode::INTERNAL_ERROR,
            StatusCode::UNAVAILABLE,
        ];
        for (i, status) in statuses.iter().enumerate() {
            for _ in 0..=i {
                tally.record(*status);
            }
        }
        tally.record(StatusCode(299));
        let counts = tally.snapshot();
        for (i, (status, n)) in counts.by_status().iter().enumerate() {
            assert_eq!(*status, statuses[i]);
            assert_eq!(*n, i as u64 + 1, "{status}");
        }
        assert_eq!(counts.other, 1);
        assert_eq!(counts.total(), 55 + 1);
        assert_eq!(counts.refused(), 55 + 1 - 1);

        let stats = MinerStats {
            requests: [("A", counts), ("B", counts)].into(),
            unrouted: RequestCounts {
                not_found: 3,
                ..Default::default()
            },
            ..Default::default()
        };
        let total = stats.requests_total();
        assert_eq!(total.ok, 2);
        assert_eq!(total.not_found, 2 * 5 + 3);
        let delta = total.since(&counts);
        assert_eq!((delta.ok, delta.not_found), (1, 5 + 3));
        assert_eq!(counts.since(&total), RequestCounts::default());
    }
}
