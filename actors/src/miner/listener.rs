//! The listener actor: accepts QUIC connections, applies the pre-authentication caps, and
//! spawns one connection actor per accepted connection (linked to itself, not restarted:
//! a validator reconnects).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use ractor::{Actor, ActorCell, ActorProcessingErr, ActorRef, SupervisionEvent};

use super::connection::{ServerConnection, ServerConnectionArgs};
use super::shared::{MinerShared, PendingSlot};
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

async fn accept_loop(endpoint: quinn::Endpoint, shared: Arc<MinerShared>, listener: ActorCell) {
    while let Some(incoming) = endpoint.accept().await {
        let ip = incoming.remote_address().ip();
        let full = shared.active.load(Ordering::Acquire) >= shared.config.max_connections;
        let slot = if full {
            None
        } else {
            PendingSlot::try_acquire(&shared, ip)
        };
        let Some(slot) = slot else {
            shared.stats.refused_busy.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(%ip, "connection refused: pending-handshake or connection cap");
            incoming.refuse();
            continue;
        };
        let args = ServerConnectionArgs {
            incoming,
            shared: shared.clone(),
            slot,
        };
        if let Err(e) = Actor::spawn_linked(None, ServerConnection, args, listener.clone()).await {
            tracing::error!(error = %e, "could not start a connection actor");
        }
    }
}
