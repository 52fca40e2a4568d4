//! Supervision: one restart policy for every supervising actor in Axonite.
//!
//! Ractor leaves supervision to the implementor: its default
//! `handle_supervisor_evt` stops the parent whenever a child exits. This module
//! writes the policy once:
//!
//! * **one-for-one**: only the child that died is restarted;
//! * **bounded**: at most `max_restarts` restarts of a child within a sliding
//!   `window` ([`RestartPolicy`], tracked by [`RestartTracker`]);
//! * **exponential backoff with jitter** between restarts ([`Backoff`]), scheduled
//!   with a message to the supervisor, never slept inside its handler;
//! * **escalation**: one failure over budget makes the supervisor itself fail with
//!   [`SupervisorError::Escalated`], so *its* parent decides;
//! * **never silent**: every restart is logged at `warn`, every escalation at
//!   `error`, with the child's name and the failure reason.
//!
//! Whether a clean exit is restarted depends on the child's [`Restart`] kind
//! ([`Restart::Permanent`], [`Restart::Transient`] (default), [`Restart::Temporary`]),
//! as in Erlang/OTP.
//!
//! The pure part ([`Backoff`], [`RestartPolicy`], [`RestartTracker`]) has no I/O
//! and takes the time as an argument. The actor part is [`Children`], a helper held
//! in any supervising actor's state, and [`Supervisor`], a ready-made actor for
//! supervisors that own nothing else.
//!
//! # A supervising actor with state of its own
//!
//! Its message type needs one variant carrying a [`RestartChild`] (via
//! `From<RestartChild>`); forward that variant to [`Children::restart`] and every
//! supervision event to [`Children::handle_event`]:
//!
//! ```
//! use std::time::Duration;
//! use ractor::{Actor, ActorProcessingErr, ActorRef, SupervisionEvent};
//! use axonite_actors::supervisor::{ChildSpec, Children, RestartChild, RestartPolicy};
//!
//! struct Worker;
//! impl Actor for Worker {
//!     type Msg = ();
//!     type State = ();
//!     type Arguments = ();
//!     async fn pre_start(&self, _: ActorRef<()>, _: ()) -> Result<(), ActorProcessingErr> {
//!         Ok(())
//!     }
//! }
//!
//! struct Pool;
//! enum PoolMsg {
//!     Restart(RestartChild),
//!     // ... the pool's own messages
//! }
//! impl From<RestartChild> for PoolMsg {
//!     fn from(token: RestartChild) -> Self {
//!         PoolMsg::Restart(token)
//!     }
//! }
//!
//! impl Actor for Pool {
//!     type Msg = PoolMsg;
//!     type State = Children; // or a struct holding a `Children` next to other state
//!     type Arguments = usize;
//!
//!     async fn pre_start(&self, _: ActorRef<PoolMsg>, size: usize) -> Result<Children, ActorProcessingErr> {
//!         let mut children = Children::new("pool", RestartPolicy::default());
//!         for i in 0..size {
//!             children.add(ChildSpec::from_actor(format!("worker-{i}"), || (Worker, ())))?;
//!         }
//!         Ok(children)
//!     }
//!
//!     async fn post_start(&self, myself: ActorRef<PoolMsg>, children: &mut Children) -> Result<(), ActorProcessingErr> {
//!         Ok(children.start_all(&myself).await?)
//!     }
//!
//!     async fn handle(&self, myself: ActorRef<PoolMsg>, msg: PoolMsg, children: &mut Children) -> Result<(), ActorProcessingErr> {
//!         match msg {
//!             PoolMsg::Restart(token) => children.restart(&myself, token).await?,
//!         }
//!         Ok(())
//!     }
//!
//!     async fn handle_supervisor_evt(&self, myself: ActorRef<PoolMsg>, event: SupervisionEvent, children: &mut Children) -> Result<(), ActorProcessingErr> {
//!         Ok(children.handle_event(&myself, event)?)
//!     }
//!
//!     async fn post_stop(&self, _: ActorRef<PoolMsg>, children: &mut Children) -> Result<(), ActorProcessingErr> {
//!         children.shutdown(None, Duration::from_secs(5)).await;
//!         Ok(())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let (pool, join) = Actor::spawn(None, Pool, 3).await?;
//! pool.stop_and_wait(None, Some(Duration::from_secs(5))).await?;
//! join.await?;
//! # Ok(()) }
//! ```
//!
//! # Ractor semantics this relies on (ractor 0.16)
//!
//! * A panic or `Err` in a child's `post_start`, `handle`, `handle_supervisor_evt`
//!   or `post_stop` is caught and reaches the supervisor as `ActorFailed`. A panic or
//!   `Err` in `pre_start` does not: `spawn_linked` returns `SpawnErr` instead, which
//!   [`Children`] counts as a failed restart.
//! * A clean stop, and also a kill (`Signal::Kill`), reaches the supervisor as
//!   `ActorTerminated`.
//! * When an actor exits for any reason, its linked children are killed (their
//!   `post_stop` does not run) and unlinked first, so they send no event.
//!   [`Children::shutdown`] in `post_stop` stops them gracefully instead.
//! * A named child's registry name is released before its supervisor hears of its
//!   exit, so a restart may reuse the name.

mod actor;
mod backoff;
mod child;
mod children;
mod policy;

#[cfg(test)]
mod tests;

pub use actor::{Supervisor, SupervisorArguments, SupervisorMsg};
pub use backoff::Backoff;
pub use child::{ChildSpec, Restart, SpawnFuture};
pub use children::{Children, RestartChild, SupervisorError};
pub use policy::{RestartDecision, RestartPolicy, RestartTracker};
