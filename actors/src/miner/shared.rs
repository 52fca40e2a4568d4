//! State every connection of a miner reads: routes, handshake verifier, caps and counters.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use axonite::handshake::HandshakeVerifier;
use axonite::service::Service;
use dashmap::DashMap;

use super::config::MinerConfig;
use crate::handler::PoolQueue;
use crate::rate_limit::RateLimits;

/// Where requests of one synapse go.
pub(crate) struct Route {
    pub(crate) service: Arc<dyn Service>,
    pub(crate) queue: Arc<PoolQueue>,
}

/// Shared, read-mostly state of one miner.
pub(crate) struct MinerShared {
    pub(crate) config: MinerConfig,
    pub(crate) verifier: HandshakeVerifier,
    pub(crate) routes: HashMap<&'static str, Route>,
    pub(crate) rate_limits: Option<Arc<RateLimits>>,
    pub(crate) pending_total: AtomicUsize,
    pub(crate) pending_by_ip: DashMap<IpAddr, usize>,
    pub(crate) active: AtomicUsize,
    pub(crate) stats: Counters,
}

/// Monotonic counters, readable as a [`MinerStats`] snapshot.
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) refused_busy: AtomicU64,
    pub(crate) handshakes_ok: AtomicU64,
    pub(crate) handshakes_failed: AtomicU64,
    pub(crate) handshakes_timed_out: AtomicU64,
}

/// A snapshot of a miner's connection counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MinerStats {
    /// Connections refused before TLS because a pending-handshake or connection cap was hit.
    pub refused_busy: u64,
    /// Handshakes that authenticated a validator.
    pub handshakes_ok: u64,
    /// Handshakes refused (bad signature, stale, replayed, wrong receiver, garbage, TLS).
    pub handshakes_failed: u64,
    /// Connections closed because the handshake did not finish in time.
    pub handshakes_timed_out: u64,
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
}

impl MinerShared {
    pub(crate) fn stats(&self) -> MinerStats {
        MinerStats {
            refused_busy: self.stats.refused_busy.load(Ordering::Relaxed),
            handshakes_ok: self.stats.handshakes_ok.load(Ordering::Relaxed),
            handshakes_failed: self.stats.handshakes_failed.load(Ordering::Relaxed),
            handshakes_timed_out: self.stats.handshakes_timed_out.load(Ordering::Relaxed),
            pending_handshakes: self.pending_total.load(Ordering::Relaxed),
            active_connections: self.active.load(Ordering::Relaxed),
            rate_limited: self.rate_limits.as_ref().map_or(0, |l| l.refusals().0),
            rate_limited_global: self.rate_limits.as_ref().map_or(0, |l| l.refusals().1),
            rate_limit_keys: self.rate_limits.as_ref().map_or(0, |l| l.key_count()),
        }
    }
}

/// A slot among the pending handshakes (global and per IP), released on drop.
pub(crate) struct PendingSlot {
    shared: Arc<MinerShared>,
    ip: IpAddr,
}

impl PendingSlot {
    /// Takes a slot, or `None` when the global or the per-IP cap is reached.
    pub(crate) fn try_acquire(shared: &Arc<MinerShared>, ip: IpAddr) -> Option<Self> {
        let cfg = &shared.config;
        let total = shared.pending_total.fetch_add(1, Ordering::AcqRel);
        if total >= cfg.max_pending_handshakes {
            shared.pending_total.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        let admitted = {
            let mut per_ip = shared.pending_by_ip.entry(ip).or_insert(0);
            if *per_ip >= cfg.max_pending_per_ip {
                false
            } else {
                *per_ip += 1;
                true
            }
        };
        if !admitted {
            shared.pending_total.fetch_sub(1, Ordering::AcqRel);
            shared.pending_by_ip.remove_if(&ip, |_, n| *n == 0);
            return None;
        }
        Some(Self {
            shared: shared.clone(),
            ip,
        })
    }
}

impl Drop for PendingSlot {
    fn drop(&mut self) {
        self.shared.pending_total.fetch_sub(1, Ordering::AcqRel);
        if let Some(mut n) = self.shared.pending_by_ip.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
        }
        self.shared
            .pending_by_ip
            .remove_if(&self.ip, |_, n| *n == 0);
    }
}

/// Counts an authenticated connection while alive.
pub(crate) struct ActiveSlot(pub(crate) Arc<MinerShared>);

impl Drop for ActiveSlot {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::AcqRel);
    }
}
