//! The listener actor: accepts QUIC connections, applies the pre-authentication caps, and
//! spawns one connection actor per accepted connection (linked to itself, not restarted:
//! a validator reconnects).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use ractor::{Actor, ActorCell, ActorProcessingErr, ActorRef, SupervisionEvent};

use super::connection::{ServerConnection, ServerConnectionArgs};
use super::shared::MinerShared;
use crate::task::{OwnedTask, TaskEnded};

/// Accepts connections on the miner's endpoint.
pub(crate) struct Listener;

impl Actor for Listener {
    type Msg = TaskEnded;
    type State = OwnedTask;
    type Arguments = (quinn::Endpoint, Arc<MinerShared>);

    async fn pre_start(
        &self,
        myself: ActorRef<TaskEnded>,
        (endpoint, shared): Self::Arguments,
    ) -> Result<OwnedTask, ActorProcessingErr> {
        let cell = myself.get_cell();
        Ok(OwnedTask::spawn(
            "accept loop",
            myself,
            accept_loop(endpoint, shared, cell),
        ))
    }

    async fn handle(
        &self,
        myself: ActorRef<TaskEnded>,
        TaskEnded(ended): TaskEnded,
        _: &mut OwnedTask,
    ) -> Result<(), ActorProcessingErr> {
        ended?;
        myself.stop(Some("endpoint closed".into()));
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        _: ActorRef<TaskEnded>,
        event: SupervisionEvent,
        _: &mut OwnedTask,
    ) -> Result<(), ActorProcessingErr> {
        // Connection actors are not restarted; their failures are reported, never silent.
        if let SupervisionEvent::ActorFailed(cell, error) = event {
            tracing::error!(actor = %cell.get_id(), %error, "connection actor failed");
        }
        Ok(())
    }
}

/// How often the per-IP connection limiter forgets idle addresses.
const SWEEP_EVERY: Duration = Duration::from_secs(30);

/// Once the pending handshakes cross the threshold, addresses are validated for at least
/// this long, so the decision does not flip while clients retransmit: a retransmitted first
/// packet is treated like the first one (accepting it after the first was answered with a
/// Retry would make a second, stray connection).
const VALIDATE_AT_LEAST: Duration = Duration::from_secs(10);

async fn accept_loop(endpoint: quinn::Endpoint, shared: Arc<MinerShared>, listener: ActorCell) {
    let mut last_sweep = Instant::now();
    let mut validating_until = None;
    while let Some(incoming) = endpoint.accept().await {
        if last_sweep.elapsed() >= SWEEP_EVERY {
            last_sweep = Instant::now();
            if let Some(limiter) = &shared.connection_rate {
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        }
        let Some(incoming) = screen(incoming, &shared, &mut validating_until) else {
            continue;
        };
        let ip = incoming.remote_address().ip();
        let full = shared.active.load(Ordering::Acquire) >= shared.config.max_connections;
        let slot = if full {
            None
        } else {
            let cfg = &shared.config;
            shared
                .pending
                .try_acquire(ip, cfg.max_pending_handshakes, cfg.max_pending_per_ip)
        };
        let Some(slot) = slot else {
            shared.stats.refused_busy.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(%ip, "connection refused: pending-handshake or connection cap");
            incoming.refuse();
            continue;
        };
        // Accept before spawning the actor: quinn answers the client's first flight at once
        // instead of after the actor is up (one scheduler hop less in every connection setup).
        let remote = incoming.remote_address();
        let connecting = match incoming.accept() {
            Ok(connecting) => connecting,
            Err(e) => {
                tracing::debug!(%remote, error = %e, "connection failed before TLS");
                shared
                    .stats
                    .handshakes_failed
                    .fetch_add(1, Ordering::Relaxed);
                shared
                    .stats
                    .handshakes_tls_failed
                    .fetch_add(1, Ordering::Relaxed);
                continue;
            }
        };
        let args = ServerConnectionArgs {
            connecting,
            remote,
            shared: shared.clone(),
            slot,
        };
        if let Err(e) = Actor::spawn_linked(None, ServerConnection, args, listener.clone()).await {
            tracing::error!(error = %e, "could not start a connection actor");
        }
    }
}

/// The checks that cost nothing but a lookup, before any state is kept for a connection:
/// address validation under load, then the per-IP connection rate. `None` when the attempt
/// was answered (Retry) or dropped.
fn screen(
    incoming: quinn::Incoming,
    shared: &MinerShared,
    validating_until: &mut Option<Instant>,
) -> Option<quinn::Incoming> {
    let now = Instant::now();
    if shared.pending.total() >= shared.config.validate_addresses_above {
        *validating_until = Some(now + VALIDATE_AT_LEAST);
    }
    let validating = validating_until.is_some_and(|until| now < until);
    if validating && !incoming.remote_address_validated() && incoming.may_retry() {
        shared
            .stats
            .address_validations
            .fetch_add(1, Ordering::Relaxed);
        // The client comes back with a token that proves its address.
        if let Err(e) = incoming.retry() {
            e.into_incoming().ignore();
        }
        return None;
    }
    // An unvalidated source address may be forged and spend another address's quota; a
    // flood big enough to matter fills the pending slots and trips validation above.
    if let Some(limiter) = &shared.connection_rate {
        let ip = incoming.remote_address().ip();
        if limiter.check_key(&ip).is_err() {
            shared.stats.refused_rate.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(%ip, "connection dropped: over the per-IP connection rate");
            incoming.ignore();
            return None;
        }
    }
    Some(incoming)
}
