//! Outcome counters by response status: what a miner answered, or what a validator's
//! queries got back.

use std::sync::atomic::{AtomicU64, Ordering};

use axonite::protocol::StatusCode;

/// Requests by response status (the bittensor meanings): a miner's answers, or the
/// outcomes of a validator's queries (where failures without a status count as their
/// nearest status, e.g. an unreachable miner as 503).
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

    pub(crate) fn add(&mut self, other: &Self) {
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
