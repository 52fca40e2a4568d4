//! Tasks owned by actors.

use std::future::Future;

use ractor::{ActorRef, Message};
use tokio::task::AbortHandle;

/// Aborts a task when dropped. Actors keep their tasks in this so a task never outlives its
/// actor, even when ractor kills the actor without running `post_stop` (as it does to linked
/// children of a supervisor that exits).
#[derive(Debug)]
pub(crate) struct OwnedTask(AbortHandle);

impl Drop for OwnedTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The end of an owned task, as reported to its actor: cleanly (or aborted), or the text of
/// its panic, which the actor turns into its own failure so its supervisor hears of it.
#[derive(Debug)]
pub(crate) struct TaskEnded(pub(crate) Result<(), String>);

impl OwnedTask {
    /// Owns an already spawned task that reports to its actor by itself.
    pub(crate) fn detached<T>(task: tokio::task::JoinHandle<T>) -> Self {
        Self(task.abort_handle())
    }

    /// Spawns `work` for `actor` and sends the actor `TaskEnded` when it ends.
    pub(crate) fn spawn<M>(
        what: &'static str,
        actor: ActorRef<M>,
        work: impl Future<Output = ()> + Send + 'static,
    ) -> Self
    where
        M: Message + From<TaskEnded>,
    {
        let task = tokio::spawn(work);
        let abort = task.abort_handle();
        tokio::spawn(async move {
            let ended = match task.await {
                Ok(()) => Ok(()),
                Err(e) if e.is_cancelled() => Ok(()),
                Err(e) => Err(format!("{what} panicked: {e}")),
            };
            let _ = actor.send_message(TaskEnded(ended).into());
        });
        Self(abort)
    }
}
