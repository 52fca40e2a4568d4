//! What a miner counts: connections by outcome, and requests by synapse and response status.
//! Counters are relaxed atomics on the hot path; [`MinerStats`] is a snapshot of them for
//! tests, logs and metrics.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use axonite::protocol::StatusCode;

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
}

/// Requests answered, by response status (the bittensor meanings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RequestCounts {
    /// 200: served.
    pub ok: u64,
    /// 400: malformed head or body, or refused by nothing more specific.
    pub bad_request: u64,
    /// 401: the `verify` hook refused the request.
    pub unauthorized: u64,
    /// 403: the `blacklist` hook refused the caller.
    pub blacklisted: u64,
    /// 404: no handler for the synapse named.
    pub not_found: u64,
    /// 408: not received in time, or its deadline passed while queued or running.
    pub timeout: u64,
    /// 413: over the synapse's request size limit (refused from its header, unread).
    pub too_large: u64,
    /// 429: over the caller's rate limit or the miner's global budget.
    pub rate_limited: u64,
    /// 500: the handler failed or panicked.
    pub handler_error: u64,
    /// 503: shed from a full queue (lowest priority first), or the miner is stopping.
    pub overloaded: u64,
    /// Any other status.
    pub other: u64,
}

impl RequestCounts {
    /// Every request counted.
    pub fn total(&self) -> u64 {
        self.ok + self.refused()
    }

    /// Every request not answered 200.
    pub fn refused(&self) -> u64 {
        self.bad_request
            + self.unauthorized
            + self.blacklisted
            + self.not_found
            + self.timeout
            + self.too_large
            + self.rate_limited
            + self.handler_error
            + self.overloaded
            + self.other
    }

    /// `(status, count)` for every status, for logs and metrics.
    pub fn by_status(&self) -> [(StatusCode, u64); 10] {
        [
            (StatusCode::OK, self.ok),
            (StatusCode::BAD_REQUEST, self.bad_request),
            (StatusCode::UNAUTHORIZED, self.unauthorized),
            (StatusCode::FORBIDDEN, self.blacklisted),
            (StatusCode::NOT_FOUND, self.not_found),
            (StatusCode::TIMEOUT, self.timeout),
            (StatusCode::PAYLOAD_TOO_LARGE, self.too_large),
            (StatusCode::RATE_LIMITED, self.rate_limited),
            (StatusCode::INTERNAL_ERROR, self.handler_error),
            (StatusCode::UNAVAILABLE, self.overloaded),
        ]
    }

    /// What was counted after `earlier` (a snapshot of the same counters).
    pub fn since(&self, earlier: &Self) -> Self {
        let d = |now: u64, then: u64| now.saturating_sub(then);
        Self {
            ok: d(self.ok, earlier.ok),
            bad_request: d(self.bad_request, earlier.bad_request),
            unauthorized: d(self.unauthorized, earlier.unauthorized),
            blacklisted: d(self.blacklisted, earlier.blacklisted),
            not_found: d(self.not_found, earlier.not_found),
            timeout: d(self.timeout, earlier.timeout),
            too_large: d(self.too_large, earlier.too_large),
            rate_limited: d(self.rate_limited, earlier.rate_limited),
            handler_error: d(self.handler_error, earlier.handler_error),
            overloaded: d(self.overloaded, earlier.overloaded),
            other: d(self.other, earlier.other),
        }
    }

    fn add(&mut self, other: &Self) {
        self.ok += other.ok;
        self.bad_request += other.bad_request;
        self.unauthorized += other.unauthorized;
        self.blacklisted += other.blacklisted;
        self.not_found += other.not_found;
        self.timeout += other.timeout;
        self.too_large += other.too_large;
        self.rate_limited += other.rate_limited;
        self.handler_error += other.handler_error;
        self.overloaded += other.overloaded;
        self.other += other.other;
    }
}

/// Live request counters of one synapse (or of requests refused before routing).
#[derive(Default)]
pub(crate) struct StatusTally([AtomicU64; 11]);

impl StatusTally {
    pub(crate) fn record(&self, status: StatusCode) {
        let slot = match status {
            StatusCode::OK => 0,
            StatusCode::BAD_REQUEST => 1,
            StatusCode::UNAUTHORIZED => 2,
            StatusCode::FORBIDDEN => 3,
            StatusCode::NOT_FOUND => 4,
            StatusCode::TIMEOUT => 5,
            StatusCode::PAYLOAD_TOO_LARGE => 6,
            StatusCode::RATE_LIMITED => 7,
            StatusCode::INTERNAL_ERROR => 8,
            StatusCode::UNAVAILABLE => 9,
            _ => 10,
        };
        self.0[slot].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> RequestCounts {
        let n = |i: usize| self.0[i].load(Ordering::Relaxed);
        RequestCounts {
            ok: n(0),
            bad_request: n(1),
            unauthorized: n(2),
            blacklisted: n(3),
            not_found: n(4),
            timeout: n(5),
            too_large: n(6),
            rate_limited: n(7),
            handler_error: n(8),
            overloaded: n(9),
            other: n(10),
        }
    }
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
