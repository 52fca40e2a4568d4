//! [`Children`]: the restart policy applied to the children of one supervising actor.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ractor::{ActorCell, ActorId, ActorRef, Message, SupervisionEvent};

use super::child::{ChildSpec, Restart};
use super::policy::{RestartDecision, RestartPolicy, RestartTracker};

/// Errors of a supervising actor. Returned from its handlers, they make the
/// supervisor fail, so its own parent sees `ActorFailed` carrying this error
/// (downcast the `ActorProcessingErr` to read it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SupervisorError {
    /// A child exhausted its restart budget; the supervisor escalates.
    #[error(
        "supervisor `{supervisor}` gave up on child `{child}`: {failures_in_window} failures within {window:?} (last: {reason})"
    )]
    Escalated {
        /// The supervisor's name.
        supervisor: String,
        /// The child's name.
        child: String,
        /// Failures counted in the window, the last one included.
        failures_in_window: u32,
        /// The policy's window.
        window: Duration,
        /// Why the child failed the last time.
        reason: String,
    },
    /// A child could not be started by [`Children::start_all`].
    #[error("supervisor `{supervisor}` could not start child `{child}`: {reason}")]
    StartFailed {
        /// The supervisor's name.
        supervisor: String,
        /// The child's name.
        child: String,
        /// The spawn error, as text.
        reason: String,
    },
    /// [`Children::add`] was given a name already in use.
    #[error("supervisor `{supervisor}` already has a child named `{child}`")]
    DuplicateChild {
        /// The supervisor's name.
        supervisor: String,
        /// The duplicate name.
        child: String,
    },
}

/// A restart that is due: the supervising actor receives it in its own message
/// (its `Msg` implements `From<RestartChild>`) after the backoff delay and hands
/// it back to [`Children::restart`]. Opaque; stale tokens are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestartChild {
    owner: u64,
    index: usize,
    incarnation: u64,
}

/// Distinguishes the tokens of several [`Children`] sets in one process.
static NEXT_OWNER: AtomicU64 = AtomicU64::new(0);

#[derive(Debug)]
enum Status {
    /// Added, not started yet.
    Idle,
    /// Alive: the current incarnation.
    Running(ActorCell),
    /// Dead, a restart is scheduled.
    RestartPending,
    /// Dead for good (clean exit without restart, or supervisor shutting down).
    Stopped,
}

#[derive(Debug)]
struct Entry {
    spec: ChildSpec,
    tracker: RestartTracker,
    status: Status,
    /// Bumped on every scheduled restart, to recognise stale tokens.
    incarnation: u64,
    restarts: u64,
}

/// The children of one supervising actor and their one-for-one restart policy.
///
/// Held in the supervising actor's state. The actor forwards every
/// [`SupervisionEvent`] to [`Children::handle_event`] and every [`RestartChild`]
/// it receives to [`Children::restart`]; both return `Err` when the supervisor must
/// fail (escalation). See the [module docs](crate::supervisor) for a full example.
///
/// Each child has its own [`RestartTracker`]: a crash loop in one child does not
/// eat the budget of its siblings.
#[derive(Debug)]
pub struct Children {
    supervisor: String,
    policy: RestartPolicy,
    owner: u64,
    entries: Vec<Entry>,
    by_id: HashMap<ActorId, usize>,
}

// === impl Children ===

impl Children {
    /// An empty set for the supervisor named `supervisor` (used in logs and
    /// errors), applying `policy` to every child that has none of its own.
    pub fn new(supervisor: impl Into<String>, policy: RestartPolicy) -> Self {
        Self {
            supervisor: supervisor.into(),
            policy,
            owner: NEXT_OWNER.fetch_add(1, Ordering::Relaxed),
            entries: Vec::new(),
            by_id: HashMap::new(),
        }
    }

    /// The supervisor's name.
    pub fn supervisor_name(&self) -> &str {
        &self.supervisor
    }

    /// The default policy of this set.
    pub fn policy(&self) -> &RestartPolicy {
        &self.policy
    }

    /// Register a child; it is spawned by the next [`Children::start_all`].
    ///
    /// Rejects a name already in use ([`SupervisorError::DuplicateChild`]).
    pub fn add(&mut self, spec: ChildSpec) -> Result<(), SupervisorError> {
        if self.index_of(spec.name()).is_some() {
            return Err(SupervisorError::DuplicateChild {
                supervisor: self.supervisor.clone(),
                child: spec.name().to_string(),
            });
        }
        let policy = spec.policy().unwrap_or(&self.policy).clone();
        self.entries.push(Entry {
            spec,
            tracker: RestartTracker::new(policy),
            status: Status::Idle,
            incarnation: 0,
            restarts: 0,
        });
        Ok(())
    }

    /// Spawn, in order, every child added and not started yet, linked to
    /// `supervisor` (the supervising actor's own cell).
    ///
    /// Stops at the first child that fails to start. Call it from `post_start`
    /// (not `pre_start`): then a failure fails the supervisor through the
    /// supervision tree, and already started children die with it.
    pub async fn start_all(&mut self, supervisor: &ActorCell) -> Result<(), SupervisorError> {
        for index in 0..self.entries.len() {
            let Some(entry) = self.entries.get(index) else {
                continue;
            };
            if !matches!(entry.status, Status::Idle) {
                continue;
            }
            let name = entry.spec.name().to_string();
            match self.spawn_entry(index, supervisor).await {
                Ok(cell) => {
                    tracing::debug!(supervisor = %self.supervisor, child = %name, id = %cell.get_id(), "child started");
                }
                Err(reason) => {
                    tracing::error!(supervisor = %self.supervisor, child = %name, %reason, "child failed to start");
                    return Err(SupervisorError::StartFailed {
                        supervisor: self.supervisor.clone(),
                        child: name,
                        reason,
                    });
                }
            }
        }
        Ok(())
    }

    /// Apply the policy to a supervision event received by the supervising actor.
    ///
    /// * `ActorFailed` of a child: restart it after a jittered backoff (a
    ///   [`RestartChild`] is sent to `myself` later; nothing sleeps here), or, once its
    ///   budget is exhausted, return [`SupervisorError::Escalated`].
    /// * `ActorTerminated` (clean stop, including being killed) of a child: restart
    ///   it only if it is [`Restart::Permanent`].
    /// * Anything else, and events about actors this set does not manage: ignored.
    ///
    /// Every restart is logged at `warn`, every escalation at `error`, with the
    /// child's name and the failure reason.
    pub fn handle_event<M>(
        &mut self,
        myself: &ActorRef<M>,
        event: SupervisionEvent,
    ) -> Result<(), SupervisorError>
    where
        M: Message + From<RestartChild>,
    {
        match event {
            SupervisionEvent::ActorFailed(cell, err) => {
                let Some(index) = self.take_running(&cell) else {
                    tracing::debug!(supervisor = %self.supervisor, id = %cell.get_id(), error = %err, "failure of an actor that is not a managed child; ignored");
                    return Ok(());
                };
                self.child_down(myself, index, err.to_string(), true)
            }
            SupervisionEvent::ActorTerminated(cell, _state, reason) => {
                let Some(index) = self.take_running(&cell) else {
                    tracing::debug!(supervisor = %self.supervisor, id = %cell.get_id(), "exit of an actor that is not a managed child; ignored");
                    return Ok(());
                };
                let reason = match reason {
                    Some(reason) => format!("stopped: {reason}"),
                    None => "stopped".to_string(),
                };
                self.child_down(myself, index, reason, false)
            }
            SupervisionEvent::ActorStarted(cell) => {
                tracing::trace!(supervisor = %self.supervisor, id = %cell.get_id(), "actor started");
                Ok(())
            }
            other => {
                tracing::debug!(supervisor = %self.supervisor, event = %other, "supervision event ignored");
                Ok(())
            }
        }
    }

    /// Perform a restart scheduled by [`Children::handle_event`]; call it when the
    /// supervising actor receives the [`RestartChild`].
    ///
    /// A respawn that fails counts as a failure of the child: it is retried after
    /// backoff, or escalated once the budget is exhausted. The child's `pre_start`
    /// runs inside this call (it is awaited by `spawn_linked`), so keep children's
    /// `pre_start` short.
    pub async fn restart<M>(
        &mut self,
        myself: &ActorRef<M>,
        token: RestartChild,
    ) -> Result<(), SupervisorError>
    where
        M: Message + From<RestartChild>,
    {
        let current = token.owner == self.owner
            && self.entries.get(token.index).is_some_and(|entry| {
                entry.incarnation == token.incarnation
                    && matches!(entry.status, Status::RestartPending)
            });
        if !current {
            tracing::debug!(supervisor = %self.supervisor, ?token, "stale restart token; ignored");
            return Ok(());
        }
        let index = token.index;
        match self.spawn_entry(index, &myself.get_cell()).await {
            Ok(cell) => {
                if let Some(entry) = self.entries.get_mut(index) {
                    entry.restarts = entry.restarts.saturating_add(1);
                    tracing::info!(
                        supervisor = %self.supervisor,
                        child = %entry.spec.name(),
                        id = %cell.get_id(),
                        restarts = entry.restarts,
                        "child restarted"
                    );
                }
                Ok(())
            }
            Err(reason) => {
                self.child_down(myself, index, format!("restart failed: {reason}"), true)
            }
        }
    }

    /// Stop every running child gracefully (their `post_stop` runs) and wait at
    /// most `timeout` in total; nothing is restarted afterwards.
    ///
    /// Call it from the supervising actor's `post_stop` for an orderly shutdown.
    /// Without it, ractor kills linked children when their supervisor exits
    /// (skipping their `post_stop`); so does it for children still running when
    /// `timeout` expires.
    pub async fn shutdown(&mut self, reason: Option<String>, timeout: Duration) {
        let mut stopping = tokio::task::JoinSet::new();
        // Every entry, pending restarts included, ends `Stopped`: nothing restarts.
        for entry in &mut self.entries {
            if let Status::Running(cell) = std::mem::replace(&mut entry.status, Status::Stopped) {
                let reason = reason.clone();
                let name = entry.spec.name().to_string();
                stopping
                    .spawn(async move { (name, cell.stop_and_wait(reason, Some(timeout)).await) });
            }
        }
        self.by_id.clear();
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                joined = stopping.join_next() => match joined {
                    None => break,
                    // Its mailbox is already closed: the child had exited on its own.
                    Some(Ok((name, Err(ractor::RactorErr::Messaging(_))))) => {
                        tracing::debug!(supervisor = %self.supervisor, child = %name, "child had already stopped");
                    }
                    Some(Ok((name, Err(err)))) => {
                        tracing::warn!(supervisor = %self.supervisor, child = %name, error = %err, "child did not stop cleanly");
                    }
                    Some(Ok((_, Ok(())))) => {}
                    Some(Err(err)) => {
                        tracing::warn!(supervisor = %self.supervisor, error = %err, "stop task failed");
                    }
                },
                () = &mut deadline => {
                    tracing::warn!(supervisor = %self.supervisor, remaining = stopping.len(), "children still stopping at shutdown deadline");
                    break;
                }
            }
        }
    }

    /// The live cell of child `name`, if it is running.
    pub fn cell(&self, name: &str) -> Option<ActorCell> {
        let entry = self.entries.get(self.index_of(name)?)?;
        match &entry.status {
            Status::Running(cell) => Some(cell.clone()),
            _ => None,
        }
    }

    /// The live child `name` as a typed [`ActorRef`]; `None` if it is not running
    /// or its message type is not `M`.
    pub fn actor_ref<M: Message>(&self, name: &str) -> Option<ActorRef<M>> {
        let cell = self.cell(name)?;
        (cell.is_message_type_of::<M>() == Some(true)).then(|| ActorRef::from(cell))
    }

    /// How many times child `name` has been restarted since the set was created.
    pub fn restarts(&self, name: &str) -> Option<u64> {
        Some(self.entries.get(self.index_of(name)?)?.restarts)
    }

    /// Whether `id` is the current incarnation of one of these children.
    pub fn manages(&self, id: ActorId) -> bool {
        self.by_id.contains_key(&id)
    }

    /// The children's names, in the order they were added.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|entry| entry.spec.name())
    }

    /// Number of children (running or not).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no child was added.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn index_of(&self, name: &str) -> Option<usize> {
        self.entries
            .iter()
            .position(|entry| entry.spec.name() == name)
    }

    /// Forget `cell` as the running incarnation of its child; its index if it was one.
    fn take_running(&mut self, cell: &ActorCell) -> Option<usize> {
        let index = self.by_id.remove(&cell.get_id())?;
        let entry = self.entries.get_mut(index)?;
        entry.status = Status::Stopped;
        Some(index)
    }

    /// Spawn child `index` linked to `supervisor` and record it as running. On
    /// error, returns the reason and leaves the status unchanged.
    async fn spawn_entry(
        &mut self,
        index: usize,
        supervisor: &ActorCell,
    ) -> Result<ActorCell, String> {
        let spec = self
            .entries
            .get(index)
            .map(|entry| entry.spec.clone())
            .ok_or_else(|| "unknown child".to_string())?;
        let cell = spec
            .spawn(supervisor.clone())
            .await
            .map_err(|err| err.to_string())?;
        let linked = cell
            .try_get_supervisor()
            .is_some_and(|parent| parent.get_id() == supervisor.get_id());
        if !linked {
            tracing::warn!(supervisor = %self.supervisor, child = %spec.name(), "spawn function did not link the child to its supervisor; linking it now");
            cell.link(supervisor.clone());
        }
        if let Some(entry) = self.entries.get_mut(index) {
            entry.status = Status::Running(cell.clone());
        }
        self.by_id.insert(cell.get_id(), index);
        Ok(cell)
    }

    /// Child `index` went down for `reason`: decide, log, schedule or escalate.
    fn child_down<M>(
        &mut self,
        myself: &ActorRef<M>,
        index: usize,
        reason: String,
        failed: bool,
    ) -> Result<(), SupervisorError>
    where
        M: Message + From<RestartChild>,
    {
        let owner = self.owner;
        let supervisor = &self.supervisor;
        let Some(entry) = self.entries.get_mut(index) else {
            return Ok(());
        };
        let child = entry.spec.name();
        let restart = match (entry.spec.restart(), failed) {
            (Restart::Permanent, _) | (Restart::Transient, true) => true,
            (Restart::Transient, false) | (Restart::Temporary, _) => false,
        };
        if !restart {
            entry.status = Status::Stopped;
            if failed {
                tracing::warn!(%supervisor, %child, %reason, "temporary child failed; not restarted");
            } else {
                // Normal (workers at shutdown, finished tasks): not worth a line per child at info.
                tracing::debug!(%supervisor, %child, %reason, "child stopped cleanly; not restarted");
            }
            return Ok(());
        }
        match entry.tracker.on_failure(Instant::now()) {
            RestartDecision::Restart { attempt, .. } => {
                let delay = entry
                    .tracker
                    .policy()
                    .backoff()
                    .jittered(attempt, &mut rand::rng());
                entry.incarnation = entry.incarnation.wrapping_add(1);
                entry.status = Status::RestartPending;
                let token = RestartChild {
                    owner,
                    index,
                    incarnation: entry.incarnation,
                };
                tracing::warn!(
                    %supervisor,
                    %child,
                    %reason,
                    attempt = attempt.saturating_add(1),
                    max_restarts = entry.tracker.policy().max_restarts(),
                    delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    "child down; restarting after backoff"
                );
                drop(myself.send_after(delay, move || M::from(token)));
                Ok(())
            }
            RestartDecision::Escalate { failures_in_window } => {
                entry.status = Status::Stopped;
                let window = entry.tracker.policy().window();
                tracing::error!(
                    %supervisor,
                    %child,
                    %reason,
                    failures_in_window,
                    window_ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX),
                    "restart budget exhausted; escalating to the supervisor's parent"
                );
                Err(SupervisorError::Escalated {
                    supervisor: supervisor.clone(),
                    child: child.to_string(),
                    failures_in_window,
                    window,
                    reason,
                })
            }
        }
    }
}
