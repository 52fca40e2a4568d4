//! Where snapshots come from, and where they are published.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axonite::Hotkey;
use axonite::directory::{ValidatorDirectory, ValidatorInfo};
use axonite::metagraph::Metagraph;
use axonite::service::BoxFuture;
use tokio::sync::{broadcast, watch};

use super::MetagraphEvent;

/// Reads a subnet's metagraph. The chain client implements it; tests use fakes. An
/// implementation reconnects by itself: the monitor only calls `fetch` again after a failure.
pub trait MetagraphSource: Send + Sync + 'static {
    /// The current snapshot of `netuid`, or why it could not be read.
    fn fetch(&self, netuid: u16) -> BoxFuture<'_, Result<Metagraph, String>>;

    /// The block the next `fetch` would read at, when that is cheap to learn (a chain's
    /// finalized head); the monitor skips the full read while it equals its snapshot's
    /// block. `None` (the default): unknown, always read.
    fn head(&self) -> BoxFuture<'_, Result<Option<u64>, String>> {
        Box::pin(async { Ok(None) })
    }
}

/// A shared source is a source: one chain connection can feed a miner's or validator's
/// monitor and serve its other uses (serving the axon, setting weights).
impl<T: MetagraphSource> MetagraphSource for Arc<T> {
    fn fetch(&self, netuid: u16) -> BoxFuture<'_, Result<Metagraph, String>> {
        (**self).fetch(netuid)
    }

    fn head(&self) -> BoxFuture<'_, Result<Option<u64>, String>> {
        (**self).head()
    }
}

/// How fresh the published snapshot is.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncStatus {
    /// No snapshot yet.
    Starting,
    /// The last read succeeded.
    Synced {
        /// Block of the snapshot.
        block: u64,
        /// When it was read.
        at: Instant,
    },
    /// Reads are failing; the last good snapshot (if any) is still served.
    Stale {
        /// Block of the snapshot still served, if any.
        block: Option<u64>,
        /// When the first of the current run of failures happened.
        since: Instant,
        /// Consecutive failures.
        failures: u32,
        /// The last error.
        error: String,
    },
}

/// Read side of a monitor: the latest snapshot, its freshness, and change events. Cheap to
/// clone; survives restarts of the monitor actor.
#[derive(Debug, Clone)]
pub struct MetagraphHandle {
    inner: Arc<Published>,
}

#[derive(Debug)]
pub(super) struct Published {
    pub(super) snapshot: watch::Sender<Option<Arc<Metagraph>>>,
    pub(super) status: watch::Sender<SyncStatus>,
    pub(super) events: broadcast::Sender<MetagraphEvent>,
    /// Snapshots published so far: lets connections notice a change with one atomic load.
    pub(super) generation: AtomicU64,
}

impl Default for MetagraphHandle {
    fn default() -> Self {
        Self::new()
    }
}

impl MetagraphHandle {
    /// A handle with nothing published yet (events buffer up to 1,024 per subscriber).
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Published {
                snapshot: watch::Sender::new(None),
                status: watch::Sender::new(SyncStatus::Starting),
                events: broadcast::Sender::new(1_024),
                generation: AtomicU64::new(0),
            }),
        }
    }

    pub(super) fn published(&self) -> &Published {
        &self.inner
    }

    /// The latest snapshot, if one was read.
    pub fn current(&self) -> Option<Arc<Metagraph>> {
        self.inner.snapshot.borrow().clone()
    }

    /// How fresh the snapshot is.
    pub fn status(&self) -> SyncStatus {
        self.inner.status.borrow().clone()
    }

    /// Waits (at most `timeout`) for a snapshot at block `min_block` or later.
    pub async fn wait_for_block(
        &self,
        min_block: u64,
        timeout: Duration,
    ) -> Option<Arc<Metagraph>> {
        let mut rx = self.inner.snapshot.subscribe();
        let wait = rx.wait_for(|g| g.as_ref().is_some_and(|g| g.block() >= min_block));
        match tokio::time::timeout(timeout, wait).await {
            Ok(Ok(g)) => g.clone(),
            _ => None,
        }
    }

    /// A receiver that wakes on every new snapshot.
    pub fn watch(&self) -> watch::Receiver<Option<Arc<Metagraph>>> {
        self.inner.snapshot.subscribe()
    }

    /// Change events from now on. A subscriber that falls more than 1,024 events behind gets
    /// `Lagged` and should resynchronise from [`MetagraphHandle::current`].
    pub fn subscribe(&self) -> broadcast::Receiver<MetagraphEvent> {
        self.inner.events.subscribe()
    }

    /// Publishes a snapshot directly (static setups and tests without a chain).
    pub fn publish(&self, graph: Metagraph) {
        let graph = Arc::new(graph);
        let old = self.inner.snapshot.send_replace(Some(graph.clone()));
        self.inner.generation.fetch_add(1, Ordering::Release);
        if let Some(old) = old {
            for event in super::diff(&old, &graph) {
                let _ = self.inner.events.send(event);
            }
        }
        self.inner.status.send_replace(SyncStatus::Synced {
            block: graph.block(),
            at: Instant::now(),
        });
    }
}

/// The latest snapshot answers: a miner gating on a monitored metagraph sees registrations,
/// permits and stakes as of the last sync (and refuses everyone before the first one).
impl ValidatorDirectory for MetagraphHandle {
    fn lookup(&self, hotkey: &Hotkey) -> Option<ValidatorInfo> {
        self.inner.snapshot.borrow().as_ref()?.lookup(hotkey)
    }

    fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }
}

/// A source that serves the snapshot it was last given: for static setups, demos and tests
/// that follow a metagraph without a chain. Clones share the snapshot.
#[derive(Debug, Clone, Default)]
pub struct StaticSource(Arc<std::sync::Mutex<Option<Metagraph>>>);

impl StaticSource {
    /// A source serving `graph`.
    pub fn new(graph: Metagraph) -> Self {
        Self(Arc::new(std::sync::Mutex::new(Some(graph))))
    }

    /// Replaces the snapshot served from the next read on.
    pub fn set(&self, graph: Metagraph) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(graph);
    }
}

impl MetagraphSource for StaticSource {
    fn fetch(&self, _netuid: u16) -> BoxFuture<'_, Result<Metagraph, String>> {
        let graph = self.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        Box::pin(async move { graph.ok_or_else(|| "no metagraph set".to_owned()) })
    }
}
