//! Actor-level tests: real ractor actors under a real [`Supervisor`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use ractor::{
    Actor, ActorCell, ActorProcessingErr, ActorRef, ActorStatus, RpcReplyPort, SpawnErr,
    SupervisionEvent, call_t,
};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::time::timeout;

use super::*;

/// Upper bound of every wait in these tests.
const WAIT: Duration = Duration::from_secs(5);
/// RPC timeout in milliseconds.
const RPC_MS: u64 = 2_000;

/// 3 restarts within 10 s, 1 ms initial backoff.
fn fast_policy() -> RestartPolicy {
    RestartPolicy::default()
        .with_max_restarts(3)
        .with_window(Duration::from_secs(10))
        .with_backoff(
            Backoff::default()
                .with_initial(Duration::from_millis(1))
                .with_max(Duration::from_millis(10)),
        )
}

async fn next<T>(rx: &mut UnboundedReceiver<T>) -> T {
    timeout(WAIT, rx.recv())
        .await
        .expect("timed out waiting for an event")
        .expect("event channel closed")
}

/// Assert nothing more arrives within a short grace period.
async fn assert_quiet<T: std::fmt::Debug>(rx: &mut UnboundedReceiver<T>) {
    tokio::time::sleep(Duration::from_millis(100)).await;
    if let Ok(unexpected) = rx.try_recv() {
        panic!("unexpected event: {unexpected:?}");
    }
}

// === Worker: the supervised child ===

#[derive(Debug)]
enum WorkerEvent {
    /// `pre_start` ran: generation (1 for the first start) and the new cell.
    Started(u32, ActorCell),
    /// `post_stop` ran for this generation.
    PostStop(u32),
}

#[derive(Debug)]
enum WorkerMsg {
    /// Reply with the generation of this incarnation.
    Ping(RpcReplyPort<u32>),
    /// Panic in `handle`.
    Panic,
    /// Return `Err` from `handle`.
    Fail,
    /// Stop cleanly.
    Stop,
}

struct Worker;

#[derive(Clone)]
struct WorkerArgs {
    events: UnboundedSender<WorkerEvent>,
    starts: Arc<AtomicU32>,
}

impl Actor for Worker {
    type Msg = WorkerMsg;
    type State = u32;
    type Arguments = WorkerArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<WorkerMsg>,
        args: WorkerArgs,
    ) -> Result<u32, ActorProcessingErr> {
        let generation = args.starts.fetch_add(1, Ordering::SeqCst) + 1;
        let _ = args
            .events
            .send(WorkerEvent::Started(generation, myself.get_cell()));
        Ok(generation)
    }

    async fn handle(
        &self,
        myself: ActorRef<WorkerMsg>,
        msg: WorkerMsg,
        generation: &mut u32,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            WorkerMsg::Ping(reply) => {
                let _ = reply.send(*generation);
            }
            WorkerMsg::Panic => panic!("boom-marker in generation {generation}"),
            WorkerMsg::Fail => {
                return Err(format!("failed on purpose in generation {generation}").into());
            }
            WorkerMsg::Stop => myself.stop(Some("work done".to_string())),
        }
        Ok(())
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<WorkerMsg>,
        _generation: &mut u32,
    ) -> Result<(), ActorProcessingErr> {
        Ok(())
    }
}

/// A worker that reports `post_stop`, for the graceful shutdown test.
struct ReportingWorker(UnboundedSender<WorkerEvent>);

impl Actor for ReportingWorker {
    type Msg = WorkerMsg;
    type State = u32;
    type Arguments = WorkerArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<WorkerMsg>,
        args: WorkerArgs,
    ) -> Result<u32, ActorProcessingErr> {
        Worker.pre_start(myself, args).await
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<WorkerMsg>,
        generation: &mut u32,
    ) -> Result<(), ActorProcessingErr> {
        let _ = self.0.send(WorkerEvent::PostStop(*generation));
        Ok(())
    }
}

/// Observes one worker child: its starts and its start counter.
struct Probe {
    events: UnboundedReceiver<WorkerEvent>,
    args: WorkerArgs,
}

impl Probe {
    fn new() -> Self {
        let (tx, rx) = unbounded_channel();
        Self {
            events: rx,
            args: WorkerArgs {
                events: tx,
                starts: Arc::new(AtomicU32::new(0)),
            },
        }
    }

    fn spec(&self, name: &str) -> ChildSpec {
        let args = self.args.clone();
        ChildSpec::from_actor(name, move || (Worker, args.clone()))
    }

    /// Wait for the next start; returns its generation and typed ref.
    async fn started(&mut self) -> (u32, ActorRef<WorkerMsg>) {
        match next(&mut self.events).await {
            WorkerEvent::Started(generation, cell) => (generation, ActorRef::from(cell)),
            other => panic!("expected a start, got {other:?}"),
        }
    }

    fn starts(&self) -> u32 {
        self.args.starts.load(Ordering::SeqCst)
    }
}

// === Parent: observes the supervisor's own fate ===

struct Parent;

impl Actor for Parent {
    type Msg = ();
    type State = UnboundedSender<SupervisionEvent>;
    type Arguments = UnboundedSender<SupervisionEvent>;

    async fn pre_start(
        &self,
        _myself: ActorRef<()>,
        events: Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(events)
    }

    async fn handle_supervisor_evt(
        &self,
        _myself: ActorRef<()>,
        event: SupervisionEvent,
        events: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        let _ = events.send(event);
        Ok(())
    }
}

/// A supervisor linked under a [`Parent`] that reports the supervisor's exit.
struct Tree {
    parent: ActorRef<()>,
    supervisor: ActorRef<SupervisorMsg>,
    parent_events: UnboundedReceiver<SupervisionEvent>,
}

impl Tree {
    async fn spawn(args: SupervisorArguments) -> Self {
        let (tx, rx) = unbounded_channel();
        let (parent, _) = Actor::spawn(None, Parent, tx).await.expect("parent spawns");
        let (supervisor, _) = Actor::spawn_linked(None, Supervisor, args, parent.get_cell())
            .await
            .expect("supervisor spawns");
        Self {
            parent,
            supervisor,
            parent_events: rx,
        }
    }

    /// Wait until the parent hears that the supervisor exited; returns the error
    /// if it failed, `None` if it terminated cleanly.
    async fn supervisor_exit(&mut self) -> Option<ActorProcessingErr> {
        let id = self.supervisor.get_id();
        loop {
            match next(&mut self.parent_events).await {
                SupervisionEvent::ActorFailed(cell, err) if cell.get_id() == id => {
                    return Some(err);
                }
                SupervisionEvent::ActorTerminated(cell, _, _) if cell.get_id() == id => {
                    return None;
                }
                _ => {}
            }
        }
    }

    async fn child(&self, name: &str) -> Option<ActorCell> {
        call_t!(
            self.supervisor,
            SupervisorMsg::Child,
            RPC_MS,
            name.to_string()
        )
        .expect("supervisor answers")
    }

    async fn restarts(&self, name: &str) -> Option<u64> {
        call_t!(
            self.supervisor,
            SupervisorMsg::Restarts,
            RPC_MS,
            name.to_string()
        )
        .expect("supervisor answers")
    }

    fn stop(&self) {
        self.parent.stop(None);
    }
}

fn escalation(err: &ActorProcessingErr) -> SupervisorError {
    err.downcast_ref::<SupervisorError>()
        .cloned()
        .unwrap_or_else(|| panic!("expected a SupervisorError, got {err}"))
}

async fn ping(worker: &ActorRef<WorkerMsg>) -> u32 {
    call_t!(worker, WorkerMsg::Ping, RPC_MS).expect("worker answers")
}

async fn wait_exit(cell: &ActorCell) {
    cell.wait(Some(WAIT)).await.expect("actor exits in time");
}

// === Tests ===

#[tokio::test]
async fn panicking_child_is_restarted_and_the_new_child_answers_the_next_message() {
    let mut probe = Probe::new();
    let tree =
        Tree::spawn(SupervisorArguments::new("sup", fast_policy()).with_child(probe.spec("w")))
            .await;
    let (generation, first) = probe.started().await;
    assert_eq!(generation, 1);
    assert_eq!(ping(&first).await, 1);

    first.cast(WorkerMsg::Panic).expect("send");
    let (generation, second) = probe.started().await;
    assert_eq!(generation, 2);
    assert_ne!(first.get_id(), second.get_id());
    assert_eq!(ping(&second).await, 2);

    let live = tree.child("w").await.expect("child is running");
    assert_eq!(live.get_id(), second.get_id());
    assert_eq!(tree.restarts("w").await, Some(1));
    tree.stop();
}

#[tokio::test]
async fn child_returning_err_from_handle_is_restarted() {
    let mut probe = Probe::new();
    let tree =
        Tree::spawn(SupervisorArguments::new("sup", fast_policy()).with_child(probe.spec("w")))
            .await;
    let (_, first) = probe.started().await;
    first.cast(WorkerMsg::Fail).expect("send");
    let (generation, second) = probe.started().await;
    assert_eq!(generation, 2);
    assert_eq!(ping(&second).await, 2);
    tree.stop();
}

#[tokio::test]
async fn child_that_keeps_panicking_is_restarted_max_restarts_times_then_the_supervisor_fails_to_its_parent()
 {
    let mut probe = Probe::new();
    let mut tree = Tree::spawn(
        SupervisorArguments::new("sup", fast_policy()).with_child(probe.spec("crashy")),
    )
    .await;
    for expected in 1..=4 {
        let (generation, worker) = probe.started().await;
        assert_eq!(generation, expected);
        if expected == 4 {
            assert_eq!(tree.restarts("crashy").await, Some(3));
        }
        worker.cast(WorkerMsg::Panic).expect("send");
    }

    let err = tree
        .supervisor_exit()
        .await
        .expect("supervisor failed, not stopped");
    match escalation(&err) {
        SupervisorError::Escalated {
            supervisor,
            child,
            failures_in_window,
            reason,
            ..
        } => {
            assert_eq!(supervisor, "sup");
            assert_eq!(child, "crashy");
            assert_eq!(failures_in_window, 4);
            assert!(reason.contains("boom-marker"), "reason: {reason}");
        }
        other => panic!("expected escalation, got {other:?}"),
    }
    assert_quiet(&mut probe.events).await;
    assert_eq!(probe.starts(), 4, "1 start + exactly 3 restarts");
    tree.stop();
}

#[tokio::test]
async fn transient_child_that_stops_cleanly_is_not_restarted() {
    let mut probe = Probe::new();
    let tree = Tree::spawn(
        SupervisorArguments::new("sup", fast_policy())
            .with_child(probe.spec("w").with_restart(Restart::Transient)),
    )
    .await;
    let (_, worker) = probe.started().await;
    worker.cast(WorkerMsg::Stop).expect("send");
    wait_exit(&worker).await;

    assert_quiet(&mut probe.events).await;
    assert_eq!(probe.starts(), 1);
    assert!(tree.child("w").await.is_none());
    assert_eq!(tree.restarts("w").await, Some(0));
    assert_eq!(tree.supervisor.get_status(), ActorStatus::Running);
    tree.stop();
}

#[tokio::test]
async fn permanent_child_that_stops_cleanly_is_restarted() {
    let mut probe = Probe::new();
    let tree = Tree::spawn(
        SupervisorArguments::new("sup", fast_policy())
            .with_child(probe.spec("w").with_restart(Restart::Permanent)),
    )
    .await;
    let (_, worker) = probe.started().await;
    worker.cast(WorkerMsg::Stop).expect("send");
    let (generation, restarted) = probe.started().await;
    assert_eq!(generation, 2);
    assert_eq!(ping(&restarted).await, 2);
    tree.stop();
}

#[tokio::test]
async fn temporary_child_that_panics_is_not_restarted() {
    let mut probe = Probe::new();
    let tree = Tree::spawn(
        SupervisorArguments::new("sup", fast_policy())
            .with_child(probe.spec("w").with_restart(Restart::Temporary)),
    )
    .await;
    let (_, worker) = probe.started().await;
    worker.cast(WorkerMsg::Panic).expect("send");
    wait_exit(&worker).await;
    assert_quiet(&mut probe.events).await;
    assert!(tree.child("w").await.is_none());
    assert_eq!(tree.supervisor.get_status(), ActorStatus::Running);
    tree.stop();
}

#[tokio::test]
async fn failed_respawns_count_against_the_budget_and_escalate() {
    let spawns = Arc::new(AtomicU32::new(0));
    let mut probe = Probe::new();
    let args = probe.args.clone();
    let calls = Arc::clone(&spawns);
    let spec = ChildSpec::new("flaky-start", move |supervisor| {
        let args = args.clone();
        let call = calls.fetch_add(1, Ordering::SeqCst);
        async move {
            if call > 0 {
                return Err(SpawnErr::StartupFailed("dependency unavailable".into()));
            }
            let (worker, _) = Actor::spawn_linked(None, Worker, args, supervisor).await?;
            Ok(worker.get_cell())
        }
    });
    let mut tree =
        Tree::spawn(SupervisorArguments::new("sup", fast_policy()).with_child(spec)).await;
    let (_, worker) = probe.started().await;
    worker.cast(WorkerMsg::Panic).expect("send");

    let err = tree.supervisor_exit().await.expect("supervisor failed");
    match escalation(&err) {
        SupervisorError::Escalated {
            failures_in_window,
            reason,
            ..
        } => {
            assert_eq!(failures_in_window, 4);
            assert!(reason.contains("restart failed"), "reason: {reason}");
            assert!(
                reason.contains("dependency unavailable"),
                "reason: {reason}"
            );
        }
        other => panic!("expected escalation, got {other:?}"),
    }
    assert_eq!(
        spawns.load(Ordering::SeqCst),
        4,
        "1 start + 3 failed respawns"
    );
    tree.stop();
}

#[tokio::test]
async fn child_that_cannot_start_fails_the_supervisor() {
    let spec = ChildSpec::new("never", |_supervisor| async {
        Err::<ActorCell, _>(SpawnErr::StartupFailed("no config".into()))
    });
    let mut tree =
        Tree::spawn(SupervisorArguments::new("sup", fast_policy()).with_child(spec)).await;
    let err = tree.supervisor_exit().await.expect("supervisor failed");
    assert!(
        matches!(escalation(&err), SupervisorError::StartFailed { ref child, ref reason, .. } if child == "never" && reason.contains("no config")),
        "got {err}"
    );
    tree.stop();
}

#[tokio::test]
async fn duplicate_child_names_are_rejected() {
    let probe = Probe::new();
    let mut children = Children::new("sup", fast_policy());
    children.add(probe.spec("w")).expect("first add");
    assert_eq!(
        children.add(probe.spec("w")),
        Err(SupervisorError::DuplicateChild {
            supervisor: "sup".to_string(),
            child: "w".to_string()
        })
    );
    let args = SupervisorArguments::new("sup", fast_policy())
        .with_child(probe.spec("w"))
        .with_child(probe.spec("w"));
    assert!(Actor::spawn(None, Supervisor, args).await.is_err());
}

#[tokio::test]
async fn each_child_has_its_own_restart_budget() {
    let mut a = Probe::new();
    let mut b = Probe::new();
    let policy = fast_policy().with_max_restarts(1);
    let tree = Tree::spawn(
        SupervisorArguments::new("sup", policy)
            .with_child(a.spec("a"))
            .with_child(b.spec("b")),
    )
    .await;
    let (_, a1) = a.started().await;
    let (_, b1) = b.started().await;
    a1.cast(WorkerMsg::Panic).expect("send");
    let (_, a2) = a.started().await;
    b1.cast(WorkerMsg::Panic).expect("send");
    let (_, b2) = b.started().await;
    // One restart each: a shared budget of 1 would have escalated on `b`.
    assert_eq!(ping(&a2).await, 2);
    assert_eq!(ping(&b2).await, 2);
    assert_eq!(tree.supervisor.get_status(), ActorStatus::Running);
    tree.stop();
}

#[tokio::test]
async fn child_policy_overrides_the_supervisor_default() {
    let mut probe = Probe::new();
    let mut tree = Tree::spawn(
        SupervisorArguments::new("sup", fast_policy()).with_child(
            probe
                .spec("fragile")
                .with_policy(fast_policy().with_max_restarts(0)),
        ),
    )
    .await;
    let (_, worker) = probe.started().await;
    worker.cast(WorkerMsg::Panic).expect("send");
    let err = tree.supervisor_exit().await.expect("supervisor failed");
    assert!(matches!(
        escalation(&err),
        SupervisorError::Escalated {
            failures_in_window: 1,
            ..
        }
    ));
    assert_eq!(probe.starts(), 1);
    tree.stop();
}

#[tokio::test]
async fn escalation_kills_the_siblings_of_the_failing_child() {
    let mut crashy = Probe::new();
    let mut healthy = Probe::new();
    let mut tree = Tree::spawn(
        SupervisorArguments::new("sup", fast_policy())
            .with_child(
                crashy
                    .spec("crashy")
                    .with_policy(fast_policy().with_max_restarts(0)),
            )
            .with_child(healthy.spec("healthy")),
    )
    .await;
    let (_, c) = crashy.started().await;
    let (_, h) = healthy.started().await;
    c.cast(WorkerMsg::Panic).expect("send");
    assert!(tree.supervisor_exit().await.is_some());
    wait_exit(&h).await;
    assert_eq!(h.get_status(), ActorStatus::Stopped);
    assert_quiet(&mut healthy.events).await;
    tree.stop();
}

#[tokio::test]
async fn stopping_the_supervisor_stops_its_children_gracefully() {
    let (tx, mut rx) = unbounded_channel();
    let args = WorkerArgs {
        events: tx.clone(),
        starts: Arc::new(AtomicU32::new(0)),
    };
    let spec = ChildSpec::from_actor("w", move || (ReportingWorker(tx.clone()), args.clone()));
    let mut tree =
        Tree::spawn(SupervisorArguments::new("sup", fast_policy()).with_child(spec)).await;
    let worker = match next(&mut rx).await {
        WorkerEvent::Started(_, cell) => cell,
        other => panic!("expected start, got {other:?}"),
    };
    tree.supervisor
        .stop_and_wait(None, Some(WAIT))
        .await
        .expect("supervisor stops");
    assert_eq!(worker.get_status(), ActorStatus::Stopped);
    assert!(matches!(next(&mut rx).await, WorkerEvent::PostStop(1)));
    assert!(
        tree.supervisor_exit().await.is_none(),
        "clean stop, not a failure"
    );
    tree.stop();
}

#[tokio::test]
async fn killed_supervisor_takes_its_linked_children_down() {
    let mut probe = Probe::new();
    let tree =
        Tree::spawn(SupervisorArguments::new("sup", fast_policy()).with_child(probe.spec("w")))
            .await;
    let (_, worker) = probe.started().await;
    tree.supervisor.kill();
    wait_exit(&worker).await;
    assert_quiet(&mut probe.events).await;
    tree.stop();
}

#[tokio::test]
async fn supervisor_answers_messages_while_a_restart_is_pending() {
    let mut probe = Probe::new();
    let slow = fast_policy().with_backoff(
        Backoff::default()
            .with_initial(Duration::from_millis(600))
            .with_max(Duration::from_millis(600)),
    );
    let tree = Tree::spawn(SupervisorArguments::new("sup", slow).with_child(probe.spec("w"))).await;
    let (_, worker) = probe.started().await;
    worker.cast(WorkerMsg::Panic).expect("send");
    wait_exit(&worker).await;
    // The jittered delay is at least 300 ms; the supervisor must not sleep through it.
    let asked = tokio::time::Instant::now();
    let cell: Option<ActorCell> =
        call_t!(tree.supervisor, SupervisorMsg::Child, 200, "w".to_string())
            .expect("supervisor answers during backoff");
    assert!(cell.is_none(), "child is down while its restart is pending");
    assert!(asked.elapsed() < Duration::from_millis(200));
    let (generation, restarted) = probe.started().await;
    assert_eq!(generation, 2);
    assert_eq!(ping(&restarted).await, 2);
    tree.stop();
}

#[tokio::test]
async fn named_child_is_restarted_under_the_same_registered_name() {
    let name = format!("axonite-supervisor-test-{}", std::process::id());
    let mut probe = Probe::new();
    let args = probe.args.clone();
    let registered = name.clone();
    let spec = ChildSpec::new("named", move |supervisor| {
        let args = args.clone();
        let registered = registered.clone();
        async move {
            let (worker, _) =
                Actor::spawn_linked(Some(registered), Worker, args, supervisor).await?;
            Ok(worker.get_cell())
        }
    });
    let tree = Tree::spawn(SupervisorArguments::new("sup", fast_policy()).with_child(spec)).await;
    let (_, first) = probe.started().await;
    first.cast(WorkerMsg::Panic).expect("send");
    let _ = probe.started().await;
    let by_name = ActorRef::<WorkerMsg>::where_is(name).expect("name registered again");
    assert_eq!(ping(&by_name).await, 2);
    tree.stop();
}

#[tokio::test]
async fn events_about_unknown_actors_are_ignored() {
    let probe = Probe::new();
    let (supervisor, _) = Actor::spawn(None, Parent, unbounded_channel().0)
        .await
        .expect("spawns");
    let myself: ActorRef<SupervisorMsg> = ActorRef::from(supervisor.get_cell());
    let mut children = Children::new("sup", fast_policy());
    children.add(probe.spec("w")).expect("add");
    let (stranger, _) = Actor::spawn(None, Parent, unbounded_channel().0)
        .await
        .expect("spawns");
    let result = children.handle_event(
        &myself,
        SupervisionEvent::ActorFailed(stranger.get_cell(), "not mine".into()),
    );
    assert_eq!(result, Ok(()));
    assert!(!children.manages(stranger.get_id()));
    supervisor.stop(None);
    stranger.stop(None);
}

// === Logging: a crash is never silent ===

type Captured = Mutex<Vec<(tracing::Level, String)>>;

fn captured() -> &'static Captured {
    static LINES: OnceLock<Captured> = OnceLock::new();
    LINES.get_or_init(|| Mutex::new(Vec::new()))
}

/// Minimal global subscriber recording warn and error events as text.
struct Capture;

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={:?} ", field.name(), value));
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        *metadata.level() <= tracing::Level::WARN
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        if let Ok(mut lines) = captured().lock() {
            lines.push((*event.metadata().level(), fields.0));
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test]
async fn every_restart_is_logged_at_warn_and_escalation_at_error_with_child_name_and_reason() {
    // The only test in this binary that installs a global subscriber.
    let _ = tracing::subscriber::set_global_default(Capture);
    let mut probe = Probe::new();
    let mut tree = Tree::spawn(
        SupervisorArguments::new("logged-sup", fast_policy().with_max_restarts(1))
            .with_child(probe.spec("logged-child")),
    )
    .await;
    let (_, first) = probe.started().await;
    first.cast(WorkerMsg::Panic).expect("send");
    let (_, second) = probe.started().await;
    second.cast(WorkerMsg::Panic).expect("send");
    assert!(tree.supervisor_exit().await.is_some());
    tree.stop();

    let lines = captured().lock().map(|l| l.clone()).unwrap_or_default();
    let ours = |level: tracing::Level, generation: u32| {
        lines.iter().any(|(l, text)| {
            *l == level
                && text.contains("logged-sup")
                && text.contains("logged-child")
                && text.contains(&format!("boom-marker in generation {generation}"))
        })
    };
    assert!(
        ours(tracing::Level::WARN, 1),
        "no warn for the restart in {lines:#?}"
    );
    assert!(
        ours(tracing::Level::ERROR, 2),
        "no error for the escalation in {lines:#?}"
    );
}
