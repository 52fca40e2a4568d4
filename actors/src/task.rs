//! Tasks owned by actors.

use tokio::task::AbortHandle;

/// Aborts a task when dropped. Actors keep their tasks in this so a task never outlives its
/// actor, even when ractor kills the actor without running `post_stop` (as it does to linked
/// children of a supervisor that exits).
#[derive(Debug)]
pub(crate) struct OwnedTask(AbortHandle);

impl OwnedTask {
    pub(crate) fn new(handle: AbortHandle) -> Self {
        Self(handle)
    }
}

impl Drop for OwnedTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}
