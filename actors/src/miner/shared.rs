//! State every connection of a miner reads: routes, handshake verifier, caps and counters.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use axonite::handshake::HandshakeVerifier;
use axonite::service::Service;
use governor::DefaultKeyedRateLimiter;

use super::config::MinerConfig;
use super::ip_slots::IpSlots;
use super::stats::{Counters, MinerStats, StatusTally};
use crate::handler::PoolQueue;
use crate::metrics::LatencyHistogram;
use crate::rate_limit::RateLimits;

/// Where requests of one synapse go.
pub(crate) struct Route {
    pub(crate) service: Arc<dyn Service>,
    pub(crate) queue: Arc<PoolQueue>,
    /// Its requests by response status.
    pub(crate) tally: StatusTally,
    /// Its requests' time from arrival to answer.
    pub(crate) latency: LatencyHistogram,
}

/// Shared, read-mostly state of one miner.
pub(crate) struct MinerShared {
    pub(crate) config: MinerConfig,
    pub(crate) verifier: HandshakeVerifier,
    /// Shared, so a lane answer delivered by a worker can carry its route.
    pub(crate) routes: HashMap<&'static str, Arc<Route>>,
    pub(crate) rate_limits: Option<Arc<RateLimits>>,
    /// Connections between accept and the end of their handshake, in total and per IP.
    pub(crate) pending: Arc<IpSlots>,
    pub(crate) active: AtomicUsize,
    /// Request streams being served right now (read, queued, running or answering).
    pub(crate) in_flight: AtomicUsize,
    /// Connection attempts per source IP, checked before anything else is done for them.
    pub(crate) connection_rate: Option<DefaultKeyedRateLimiter<IpAddr>>,
    pub(crate) stats: Counters,
    /// Requests refused before their synapse was known.
    pub(crate) unrouted: StatusTally,
    /// The legacy HTTP axon, when a legacy synapse is registered.
    pub(crate) legacy: Option<super::legacy::LegacyShared>,
}

impl MinerShared {
    pub(crate) fn stats(&self) -> MinerStats {
        let n = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let c = &self.stats;
        MinerStats {
            refused_busy: n(&c.refused_busy),
            refused_rate: n(&c.refused_rate),
            address_validations: n(&c.address_validations),
            handshakes_ok: n(&c.handshakes_ok),
            handshakes_failed: n(&c.handshakes_failed),
            handshakes_tls_failed: n(&c.handshakes_tls_failed),
            handshakes_refused: n(&c.handshakes_refused),
            handshakes_malformed: n(&c.handshakes_malformed),
            handshakes_dropped: n(&c.handshakes_dropped),
            handshakes_timed_out: n(&c.handshakes_timed_out),
            revoked: n(&c.revoked),
            disconnected_rate_limited: n(&c.disconnected_rate_limited),
            lanes_opened: n(&c.lanes_opened),
            lanes_broken: n(&c.lanes_broken),
            pending_handshakes: self.pending.total(),
            active_connections: self.active.load(Ordering::Relaxed),
            rate_limited: self.rate_limits.as_ref().map_or(0, |l| l.refusals().0),
            rate_limited_global: self.rate_limits.as_ref().map_or(0, |l| l.refusals().1),
            rate_limit_keys: self.rate_limits.as_ref().map_or(0, |l| l.key_count()),
            requests: self
                .routes
                .iter()
                .map(|(name, route)| (*name, route.tally.snapshot()))
                .collect(),
            unrouted: self.unrouted.snapshot(),
        }
    }
}

/// Counts a request stream while it is served.
pub(crate) struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    pub(crate) fn enter(shared: &'a MinerShared) -> Self {
        shared.in_flight.fetch_add(1, Ordering::AcqRel);
        Self(&shared.in_flight)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Counts a request as in flight, like [`InFlight`], for as long as whoever owns it (a lane
/// request's answer, handed from task to worker) keeps it.
pub(crate) struct Serving(Arc<MinerShared>);

impl Serving {
    pub(crate) fn enter(shared: &Arc<MinerShared>) -> Self {
        shared.in_flight.fetch_add(1, Ordering::AcqRel);
        Self(shared.clone())
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Counts an authenticated connection while alive.
pub(crate) struct ActiveSlot(pub(crate) Arc<MinerShared>);

impl Drop for ActiveSlot {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::AcqRel);
    }
}
