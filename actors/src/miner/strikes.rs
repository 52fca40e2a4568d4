//! A connection that keeps sending over its rate limit is closed: a flooder that ignores its
//! 429s then pays a new handshake (capped by the per-IP connection rate) per burst, instead
//! of costing the miner a stream per refusal.

use std::sync::atomic::{AtomicU32, Ordering};

use axonite::handler::Caller;
use axonite::protocol::CloseCode;

use super::shared::MinerShared;

/// Counts a connection's consecutive 429s and closes it past the configured limit.
pub(crate) struct RateStrikes {
    connection: quinn::Connection,
    consecutive: AtomicU32,
}

impl RateStrikes {
    pub(crate) fn new(connection: quinn::Connection) -> Self {
        Self {
            connection,
            consecutive: AtomicU32::new(0),
        }
    }

    /// The connection these strikes are counted on.
    pub(crate) fn connection(&self) -> &quinn::Connection {
        &self.connection
    }

    pub(crate) fn admitted(&self) {
        self.consecutive.store(0, Ordering::Relaxed);
    }

    pub(crate) fn refused(&self) {
        self.consecutive.fetch_add(1, Ordering::Relaxed);
    }

    /// After a 429 was answered: closes the connection once the refusals in a row reach the
    /// limit (the last 429 is delivered first, so the validator learns why).
    pub(crate) fn close_if_flooding(&self, shared: &MinerShared, caller: &Caller) {
        let strikes = self.consecutive.load(Ordering::Relaxed);
        let limit = shared.config.rate_limits.as_ref();
        let Some(limit) = limit.and_then(|c| c.disconnect_after) else {
            return;
        };
        if strikes < limit || self.connection.close_reason().is_some() {
            return;
        }
        tracing::info!(
            caller = %caller.hotkey,
            strikes,
            "closing a connection that keeps going over its rate limit"
        );
        shared
            .stats
            .disconnected_rate_limited
            .fetch_add(1, Ordering::Relaxed);
        self.connection.close(
            CloseCode::RateLimited.code().into(),
            b"kept sending over the rate limit",
        );
    }
}
