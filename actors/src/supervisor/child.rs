//! How to (re)spawn one child: [`ChildSpec`] and its [`Restart`] kind.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use ractor::{Actor, ActorCell, SpawnErr};

use super::policy::RestartPolicy;

/// The future returned by a child's spawn function: the started child's cell.
pub type SpawnFuture = Pin<Box<dyn Future<Output = Result<ActorCell, SpawnErr>> + Send>>;

type SpawnFn = Arc<dyn Fn(ActorCell) -> SpawnFuture + Send + Sync>;

/// When a child is restarted, as in Erlang/OTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Restart {
    /// Always restarted, also after a clean stop (a long-lived service that must
    /// always be up). Clean stops count against the restart budget too.
    Permanent,
    /// Restarted only after a failure (panic or `Err` from a handler); a clean stop
    /// means the child finished its job. The default.
    #[default]
    Transient,
    /// Never restarted; its failure is logged and otherwise ignored.
    Temporary,
}

/// A restartable child: a name, a [`Restart`] kind, an optional own
/// [`RestartPolicy`], and a function spawning it linked to a supervisor.
///
/// The spawn function is called once at start and again on every restart, so it
/// must build fresh actor arguments each time. Cloning a spec is cheap (the
/// function is shared).
///
/// ```
/// use axonite_actors::supervisor::{ChildSpec, Restart};
/// # use ractor::{Actor, ActorProcessingErr, ActorRef};
/// # struct Worker;
/// # impl Actor for Worker {
/// #     type Msg = ();
/// #     type State = ();
/// #     type Arguments = u32;
/// #     async fn pre_start(&self, _: ActorRef<()>, _: u32) -> Result<(), ActorProcessingErr> { Ok(()) }
/// # }
///
/// // The common case: an actor type plus fresh arguments per start.
/// let worker = ChildSpec::from_actor("worker", || (Worker, 42)).with_restart(Restart::Permanent);
///
/// // Full control, e.g. registering a global name: link to `supervisor` yourself.
/// let named = ChildSpec::new("named-worker", |supervisor| async move {
///     let (actor, _join) =
///         Actor::spawn_linked(Some("named-worker".to_string()), Worker, 7, supervisor).await?;
///     Ok(actor.get_cell())
/// });
/// assert_eq!(named.name(), "named-worker");
/// ```
#[derive(Clone)]
pub struct ChildSpec {
    name: String,
    restart: Restart,
    policy: Option<RestartPolicy>,
    spawn: SpawnFn,
}

// === impl ChildSpec ===

impl ChildSpec {
    /// A child spawned by `spawn`, which receives the supervisor's cell and must
    /// link the child to it (e.g. with [`Actor::spawn_linked`]); a child spawned
    /// unlinked is linked after the fact, with a warning.
    pub fn new<F, Fut>(name: impl Into<String>, spawn: F) -> Self
    where
        F: Fn(ActorCell) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<ActorCell, SpawnErr>> + Send + 'static,
    {
        Self {
            name: name.into(),
            restart: Restart::default(),
            policy: None,
            spawn: Arc::new(move |supervisor| Box::pin(spawn(supervisor))),
        }
    }

    /// A child of actor type `A`, spawned unnamed (not in ractor's registry) and
    /// linked to the supervisor; `make` builds the handler and fresh arguments for
    /// every start.
    pub fn from_actor<A, F>(name: impl Into<String>, make: F) -> Self
    where
        A: Actor,
        F: Fn() -> (A, A::Arguments) + Send + Sync + 'static,
    {
        let make = Arc::new(make);
        Self::new(name, move |supervisor| {
            let make = Arc::clone(&make);
            async move {
                let (handler, args) = make();
                let (actor, _join) = A::spawn_linked(None, handler, args, supervisor).await?;
                Ok(actor.get_cell())
            }
        })
    }

    /// When to restart this child; default [`Restart::Transient`].
    #[must_use]
    pub fn with_restart(mut self, restart: Restart) -> Self {
        self.restart = restart;
        self
    }

    /// A restart budget for this child instead of the supervisor's default.
    #[must_use]
    pub fn with_policy(mut self, policy: RestartPolicy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// The child's name, unique within its supervisor; used in logs and lookups.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// When this child is restarted.
    pub fn restart(&self) -> Restart {
        self.restart
    }

    /// This child's own restart budget, if it overrides the supervisor's.
    pub fn policy(&self) -> Option<&RestartPolicy> {
        self.policy.as_ref()
    }

    /// Spawn the child linked to `supervisor`.
    pub fn spawn(&self, supervisor: ActorCell) -> SpawnFuture {
        (self.spawn)(supervisor)
    }
}

impl fmt::Debug for ChildSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildSpec")
            .field("name", &self.name)
            .field("restart", &self.restart)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}
