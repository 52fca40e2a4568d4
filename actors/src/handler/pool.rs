//! The actor that supervises the workers of one synapse.

use std::sync::Arc;
use std::time::Duration;

use ractor::{Actor, ActorProcessingErr, ActorRef, SupervisionEvent};

use super::worker::{HandlerWorker, PoolQueue};
use crate::supervisor::{ChildSpec, Children, Restart, RestartChild, RestartPolicy};

/// Supervises the workers of one synapse's handler.
pub(crate) struct HandlerPool;

/// How to build a pool.
pub(crate) struct PoolArgs {
    pub(crate) synapse: &'static str,
    pub(crate) queue: Arc<PoolQueue>,
    pub(crate) workers: usize,
    pub(crate) policy: RestartPolicy,
}

/// The pool's messages: only restarts scheduled by its [`Children`].
pub(crate) struct PoolMsg(RestartChild);

/// The pool's state: its workers, and the queue that counts their restarts.
pub(crate) struct PoolState {
    children: Children,
    queue: Arc<PoolQueue>,
}

impl From<RestartChild> for PoolMsg {
    fn from(token: RestartChild) -> Self {
        Self(token)
    }
}

impl Actor for HandlerPool {
    type Msg = PoolMsg;
    type State = PoolState;
    type Arguments = PoolArgs;

    async fn pre_start(
        &self,
        _: ActorRef<PoolMsg>,
        args: PoolArgs,
    ) -> Result<PoolState, ActorProcessingErr> {
        let mut children = Children::new(format!("handlers/{}", args.synapse), args.policy);
        for i in 0..args.workers.max(1) {
            let queue = args.queue.clone();
            let synapse = args.synapse;
            // Transient: restarted when it fails (a handler panicked); a worker exits cleanly
            // only when the queue closes at shutdown.
            children.add(
                ChildSpec::from_actor(format!("{synapse}/worker-{i}"), move || {
                    (HandlerWorker, (synapse, queue.clone()))
                })
                .with_restart(Restart::Transient),
            )?;
        }
        Ok(PoolState {
            children,
            queue: args.queue,
        })
    }

    async fn post_start(
        &self,
        myself: ActorRef<PoolMsg>,
        state: &mut PoolState,
    ) -> Result<(), ActorProcessingErr> {
        Ok(state.children.start_all(&myself).await?)
    }

    async fn handle(
        &self,
        myself: ActorRef<PoolMsg>,
        PoolMsg(token): PoolMsg,
        state: &mut PoolState,
    ) -> Result<(), ActorProcessingErr> {
        state.queue.count_restart();
        Ok(state.children.restart(&myself, token).await?)
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<PoolMsg>,
        event: SupervisionEvent,
        state: &mut PoolState,
    ) -> Result<(), ActorProcessingErr> {
        Ok(state.children.handle_event(&myself, event)?)
    }

    async fn post_stop(
        &self,
        _: ActorRef<PoolMsg>,
        state: &mut PoolState,
    ) -> Result<(), ActorProcessingErr> {
        state.children.shutdown(None, Duration::from_secs(2)).await;
        Ok(())
    }
}
