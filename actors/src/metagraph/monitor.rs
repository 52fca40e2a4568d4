//! The monitor actor.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axonite::metagraph::Metagraph;
use futures_util::FutureExt;
use ractor::{Actor, ActorProcessingErr, ActorRef};

use super::{MetagraphHandle, MetagraphSource, SyncStatus};
use crate::supervisor::Backoff;
use crate::task::OwnedTask;

/// How a monitor syncs.
#[derive(Debug, Clone)]
pub struct MonitorConfig {
    /// The subnet.
    pub netuid: u16,
    /// Time between reads while healthy. Shorter notices registrations sooner; longer costs
    /// the chain node less. Default 12 s (one block).
    pub sync_interval: Duration,
    /// Delay between reads while failing, growing with consecutive failures. Default 1 s
    /// doubling to 30 s.
    pub retry: Backoff,
    /// A single read taking longer than this counts as a failure. Default 30 s.
    pub fetch_timeout: Duration,
    /// Read the whole metagraph on every sync even when the source's head has not moved.
    /// Off by default: on a chain, storage changes only with new blocks, so an unchanged head
    /// means an unchanged metagraph. Turn it on for dev chains whose storage is edited in
    /// place (Chopsticks' `dev_setStorage`).
    pub read_unchanged_head: bool,
}

impl MonitorConfig {
    /// Defaults for `netuid`.
    pub fn new(netuid: u16) -> Self {
        Self {
            netuid,
            sync_interval: Duration::from_secs(12),
            retry: Backoff::default()
                .with_initial(Duration::from_secs(1))
                .with_max(Duration::from_secs(30)),
            fetch_timeout: Duration::from_secs(30),
            read_unchanged_head: false,
        }
    }
}

/// Start arguments of a [`MetagraphMonitor`]: cloned on every (re)start by its supervisor.
#[derive(Clone)]
pub struct MonitorArgs {
    /// Where snapshots come from.
    pub source: Arc<dyn MetagraphSource>,
    /// How to sync.
    pub config: MonitorConfig,
    /// Where snapshots are published.
    pub handle: MetagraphHandle,
}

/// Keeps a [`MetagraphHandle`] fresh. See the [module docs](crate::metagraph).
pub struct MetagraphMonitor;

/// Messages of the monitor.
pub enum MonitorMsg {
    /// Time to read.
    Sync,
    /// A read finished.
    Fetched(Result<Metagraph, String>),
    /// The source's head is the snapshot's block: nothing new to read.
    Unchanged,
    /// The source panicked: the monitor fails so its supervisor restarts it.
    SourcePanicked(String),
}

/// The monitor's state.
pub struct MonitorState {
    args: MonitorArgs,
    failures: u32,
    first_failure: Option<Instant>,
    fetch: Option<OwnedTask>,
}

impl Actor for MetagraphMonitor {
    type Msg = MonitorMsg;
    type State = MonitorState;
    type Arguments = MonitorArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<MonitorMsg>,
        args: MonitorArgs,
    ) -> Result<MonitorState, ActorProcessingErr> {
        if args.handle.current().is_none() {
            tracing::info!(netuid = args.config.netuid, "syncing the metagraph...");
        }
        myself.send_message(MonitorMsg::Sync)?;
        Ok(MonitorState {
            args,
            failures: 0,
            first_failure: None,
            fetch: None,
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<MonitorMsg>,
        msg: MonitorMsg,
        state: &mut MonitorState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            MonitorMsg::Sync => {
                if state.fetch.is_none() {
                    state.fetch = Some(spawn_fetch(&myself, &state.args));
                }
            }
            MonitorMsg::Fetched(result) => {
                state.fetch = None;
                let next = match result {
                    Ok(graph) => {
                        tracing::debug!(
                            netuid = graph.netuid(),
                            block = graph.block(),
                            neurons = graph.len(),
                            "metagraph synced"
                        );
                        if state.args.handle.current().is_none() {
                            tracing::info!(
                                netuid = graph.netuid(),
                                block = graph.block(),
                                neurons = graph.len(),
                                "metagraph synced"
                            );
                        }
                        state.args.handle.publish(graph);
                        state.failures = 0;
                        state.first_failure = None;
                        state.args.config.sync_interval
                    }
                    Err(error) => {
                        let since = *state.first_failure.get_or_insert_with(Instant::now);
                        let attempt = state.failures;
                        state.failures = state.failures.saturating_add(1);
                        let handle = &state.args.handle;
                        let block = handle.current().map(|g| g.block());
                        tracing::warn!(netuid = state.args.config.netuid, failures = state.failures, %error, "metagraph sync failed; serving the last snapshot");
                        handle.published().status.send_replace(SyncStatus::Stale {
                            block,
                            since,
                            failures: state.failures,
                            error,
                        });
                        state.args.config.retry.jittered(attempt, &mut rand::rng())
                    }
                };
                myself.send_after(next, || MonitorMsg::Sync);
            }
            MonitorMsg::Unchanged => {
                state.fetch = None;
                state.failures = 0;
                state.first_failure = None;
                let handle = &state.args.handle;
                if let Some(graph) = handle.current() {
                    handle.published().status.send_replace(SyncStatus::Synced {
                        block: graph.block(),
                        at: Instant::now(),
                    });
                }
                myself.send_after(state.args.config.sync_interval, || MonitorMsg::Sync);
            }
            MonitorMsg::SourcePanicked(reason) => {
                return Err(reason.into());
            }
        }
        Ok(())
    }
}

fn spawn_fetch(myself: &ActorRef<MonitorMsg>, args: &MonitorArgs) -> OwnedTask {
    let (source, netuid, timeout) = (
        args.source.clone(),
        args.config.netuid,
        args.config.fetch_timeout,
    );
    let me = myself.clone();
    let current = match args.config.read_unchanged_head {
        true => None,
        false => args.handle.current().map(|g| g.block()),
    };
    OwnedTask::detached(tokio::spawn(async move {
        // A cheap look at the head first: no new block, no full read.
        if let Some(current) = current {
            let head = AssertUnwindSafe(source.head()).catch_unwind();
            if let Ok(Ok(Ok(Some(head)))) = tokio::time::timeout(timeout, head).await
                && head == current
            {
                let _ = me.send_message(MonitorMsg::Unchanged);
                return;
            }
        }
        let fetch = AssertUnwindSafe(source.fetch(netuid)).catch_unwind();
        let msg = match tokio::time::timeout(timeout, fetch).await {
            Ok(Ok(result)) => MonitorMsg::Fetched(result),
            Ok(Err(_)) => MonitorMsg::SourcePanicked("metagraph source panicked".into()),
            Err(_) => MonitorMsg::Fetched(Err(format!("read timed out after {timeout:?}"))),
        };
        let _ = me.send_message(msg);
    }))
}
