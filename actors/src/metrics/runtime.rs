//! Samples every Axonite runtime exports the same way, miner or validator: the metagraph it
//! follows and the restarts of its supervised actors.

use std::time::Duration;

use ractor::ActorRef;

use super::Exposition;
use crate::metagraph::{MetagraphHandle, SyncStatus};
use crate::supervisor::SupervisorMsg;

/// The restarts of each child of `supervisor` (empty if it does not answer in time).
pub(crate) async fn supervisor_restarts(
    supervisor: Option<&ActorRef<SupervisorMsg>>,
) -> Vec<(String, u64)> {
    let Some(supervisor) = supervisor else {
        return Vec::new();
    };
    let asked = supervisor
        .call(SupervisorMsg::AllRestarts, Some(Duration::from_secs(1)))
        .await;
    match asked {
        Ok(ractor::rpc::CallResult::Success(counts)) => counts,
        _ => Vec::new(),
    }
}

/// `axonite_actor_restarts_total{actor}` for `restarts`, plus any `extra` counts.
pub(crate) fn restart_samples(
    p: &mut Exposition,
    restarts: &[(String, u64)],
    extra: &[(String, u64)],
) {
    let name = "axonite_actor_restarts_total";
    p.counter(name, "Restarts of supervised actors, by name.");
    for (actor, n) in restarts.iter().chain(extra) {
        p.sample(name, &[("actor", actor)], *n as f64);
    }
}

/// Whether the metagraph is synced, its block, and the time since it last synced.
pub(crate) fn metagraph_samples(p: &mut Exposition, metagraph: &MetagraphHandle) {
    let (block, age, synced) = match metagraph.status() {
        SyncStatus::Synced { block, at } => (Some(block), Some(at.elapsed()), 1.0),
        // Reads have failed since `since`; the snapshot is at least that old.
        SyncStatus::Stale { block, since, .. } => (block, Some(since.elapsed()), 0.0),
        SyncStatus::Starting => (None, None, 0.0),
    };
    p.gauge(
        "axonite_metagraph_synced",
        "1 when the last metagraph read succeeded.",
    )
    .sample("axonite_metagraph_synced", &[], synced);
    if let Some(block) = block {
        p.gauge(
            "axonite_metagraph_block",
            "Block of the metagraph snapshot served.",
        )
        .sample("axonite_metagraph_block", &[], block as f64);
    }
    if let Some(age) = age {
        p.gauge(
            "axonite_metagraph_age_seconds",
            "Time since the last successful sync.",
        )
        .sample("axonite_metagraph_age_seconds", &[], age.as_secs_f64());
    }
}
