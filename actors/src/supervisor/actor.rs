//! [`Supervisor`]: a ready-made actor that owns nothing but its children.

use std::time::Duration;

use ractor::{Actor, ActorCell, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};

use super::child::ChildSpec;
use super::children::{Children, RestartChild};
use super::policy::RestartPolicy;

/// How long a cleanly stopping [`Supervisor`] waits for its children's `post_stop`.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// A supervisor with no other duty than keeping its children alive under a
/// [`RestartPolicy`]. For a supervisor with state of its own, hold a [`Children`]
/// in that actor instead (see the [module docs](crate::supervisor)).
///
/// Children are spawned in `post_start`, in order; if one cannot start, the
/// supervisor fails. When it stops cleanly it stops its children gracefully (at
/// most 5 s); when it fails (escalation), ractor kills them.
///
/// ```no_run
/// # async fn demo(worker: axonite_actors::supervisor::ChildSpec) -> Result<(), ractor::SpawnErr> {
/// use ractor::Actor;
/// use axonite_actors::supervisor::{RestartPolicy, Supervisor, SupervisorArguments};
///
/// let args = SupervisorArguments::new("handlers", RestartPolicy::default()).with_child(worker);
/// let (supervisor, join) = Actor::spawn(None, Supervisor, args).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Supervisor;

/// Start arguments of a [`Supervisor`].
#[derive(Debug, Clone)]
pub struct SupervisorArguments {
    /// Name used in logs and errors (independent of ractor's registry name).
    pub name: String,
    /// Default restart budget of every child without its own.
    pub policy: RestartPolicy,
    /// Children, started in this order.
    pub children: Vec<ChildSpec>,
}

impl SupervisorArguments {
    /// Arguments with no children yet.
    pub fn new(name: impl Into<String>, policy: RestartPolicy) -> Self {
        Self {
            name: name.into(),
            policy,
            children: Vec::new(),
        }
    }

    /// Append a child.
    #[must_use]
    pub fn with_child(mut self, child: ChildSpec) -> Self {
        self.children.push(child);
        self
    }
}

/// Messages of a [`Supervisor`].
#[derive(Debug)]
pub enum SupervisorMsg {
    /// A scheduled restart is due (sent by the supervisor to itself).
    Restart(RestartChild),
    /// The live cell of a child, by name; `None` while it is down.
    Child(String, RpcReplyPort<Option<ActorCell>>),
    /// How many times a child has been restarted; `None` for an unknown name.
    Restarts(String, RpcReplyPort<Option<u64>>),
    /// How many times each child has been restarted, by name.
    AllRestarts(RpcReplyPort<Vec<(String, u64)>>),
}

impl From<RestartChild> for SupervisorMsg {
    fn from(token: RestartChild) -> Self {
        Self::Restart(token)
    }
}

impl Actor for Supervisor {
    type Msg = SupervisorMsg;
    type State = Children;
    type Arguments = SupervisorArguments;

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        args: Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        let mut children = Children::new(args.name, args.policy);
        for child in args.children {
            children.add(child)?;
        }
        Ok(children)
    }

    async fn post_start(
        &self,
        myself: ActorRef<Self::Msg>,
        children: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        children.start_all(&myself).await?;
        Ok(())
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<Self::Msg>,
        children: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        children
            .shutdown(Some("supervisor stopping".to_string()), SHUTDOWN_TIMEOUT)
            .await;
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        children: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            SupervisorMsg::Restart(token) => children.restart(&myself, token).await?,
            SupervisorMsg::Child(name, reply) => {
                // The caller may have given up waiting; nothing to do then.
                let _ = reply.send(children.cell(&name));
            }
            SupervisorMsg::Restarts(name, reply) => {
                let _ = reply.send(children.restarts(&name));
            }
            SupervisorMsg::AllRestarts(reply) => {
                let counts = children
                    .names()
                    .map(|name| (name.to_owned(), children.restarts(name).unwrap_or(0)))
                    .collect();
                let _ = reply.send(counts);
            }
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<Self::Msg>,
        event: SupervisionEvent,
        children: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        children.handle_event(&myself, event)?;
        Ok(())
    }
}
