//! The monitor against a scripted source: syncing, outages, recovery and crashes.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axonite::Keypair;
use axonite::metagraph::{Hyperparameters, Metagraph, Neuron};
use axonite::service::BoxFuture;
use ractor::Actor;

use super::*;
use crate::supervisor::{
    Backoff, ChildSpec, RestartPolicy, Supervisor, SupervisorArguments, SupervisorMsg,
};

/// What the fake chain does on each read, in order; the last step repeats.
#[derive(Clone)]
enum Step {
    Serve(Box<Metagraph>),
    Fail,
    Panic,
}

struct Scripted(Mutex<VecDeque<Step>>);

impl MetagraphSource for Scripted {
    fn fetch(&self, _netuid: u16) -> BoxFuture<'_, Result<Metagraph, String>> {
        let step = {
            let mut steps = self.0.lock().unwrap();
            if steps.len() > 1 {
                steps.pop_front().unwrap()
            } else {
                steps.front().cloned().unwrap()
            }
        };
        Box::pin(async move {
            match step {
                Step::Serve(graph) => Ok(*graph),
                Step::Fail => Err("chain unreachable".to_owned()),
                Step::Panic => panic!("source bug"),
            }
        })
    }
}

fn graph(block: u64, neurons: &[Neuron]) -> Metagraph {
    Metagraph::new(
        1,
        block,
        [0; 32],
        neurons.to_vec(),
        Hyperparameters::default(),
    )
}

fn fast(netuid: u16) -> MonitorConfig {
    let mut config = MonitorConfig::new(netuid);
    config.sync_interval = Duration::from_millis(10);
    config.retry = Backoff::default()
        .with_initial(Duration::from_millis(5))
        .with_max(Duration::from_millis(20));
    config
}

type Started = (
    MetagraphHandle,
    tokio::sync::broadcast::Receiver<MetagraphEvent>,
    ractor::ActorRef<SupervisorMsg>,
);

/// Starts a supervised monitor over `steps`, subscribed to events before its first read.
async fn start(steps: Vec<Step>) -> Started {
    let handle = MetagraphHandle::new();
    let events = handle.subscribe();
    let args = MonitorArgs {
        source: Arc::new(Scripted(Mutex::new(steps.into()))),
        config: fast(1),
        handle: handle.clone(),
    };
    let spec = ChildSpec::from_actor("metagraph", move || (MetagraphMonitor, args.clone()));
    let policy = RestartPolicy::default().with_backoff(
        Backoff::default()
            .with_initial(Duration::from_millis(1))
            .with_max(Duration::from_millis(5)),
    );
    let (sup, _) = Actor::spawn(
        None,
        Supervisor,
        SupervisorArguments::new("test", policy).with_child(spec),
    )
    .await
    .unwrap();
    (handle, events, sup)
}

async fn wait_status(handle: &MetagraphHandle, pred: impl Fn(&SyncStatus) -> bool) {
    let mut rx = handle.published().status.subscribe();
    tokio::time::timeout(Duration::from_secs(5), rx.wait_for(|s| pred(s)))
        .await
        .expect("status reached in time")
        .unwrap();
}

/// Serves one snapshot and reports its block as the head: after the first read, every sync
/// should stop at the cheap head check.
struct CountingSource {
    graph: Metagraph,
    fetches: std::sync::atomic::AtomicUsize,
    heads: std::sync::atomic::AtomicUsize,
}

impl MetagraphSource for CountingSource {
    fn fetch(&self, _: u16) -> BoxFuture<'_, Result<Metagraph, String>> {
        self.fetches
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let graph = self.graph.clone();
        Box::pin(async move { Ok(graph) })
    }

    fn head(&self) -> BoxFuture<'_, Result<Option<u64>, String>> {
        self.heads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let block = self.graph.block();
        Box::pin(async move { Ok(Some(block)) })
    }
}

#[tokio::test]
async fn an_unchanged_head_skips_the_full_read() {
    use std::sync::atomic::Ordering::SeqCst;
    let cold = Keypair::generate().hotkey();
    let source = Arc::new(CountingSource {
        graph: graph(7, &[Neuron::new(0, Keypair::generate().hotkey(), cold)]),
        fetches: Default::default(),
        heads: Default::default(),
    });
    let handle = MetagraphHandle::new();
    let args = MonitorArgs {
        source: source.clone(),
        config: fast(1),
        handle: handle.clone(),
    };
    let (actor, _) = Actor::spawn(None, MetagraphMonitor, args).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while source.heads.load(SeqCst) < 5 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "head checked repeatedly"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(
        source.fetches.load(SeqCst),
        1,
        "one full read, then only head checks"
    );
    assert!(matches!(
        handle.status(),
        SyncStatus::Synced { block: 7, .. }
    ));
    actor.stop(None);
}

#[tokio::test]
async fn syncs_on_start_and_broadcasts_what_changed() {
    let (a, b) = (Keypair::generate().hotkey(), Keypair::generate().hotkey());
    let cold = Keypair::generate().hotkey();
    let first = graph(10, &[Neuron::new(0, a, cold)]);
    let second = graph(11, &[Neuron::new(0, a, cold), Neuron::new(1, b, cold)]);
    let (handle, mut events, sup) = start(vec![
        Step::Serve(Box::new(first)),
        Step::Serve(Box::new(second.clone())),
    ])
    .await;
    let latest = handle
        .wait_for_block(11, Duration::from_secs(5))
        .await
        .expect("second snapshot published");
    assert_eq!(latest.len(), 2);
    let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(event, MetagraphEvent::Registered { uid: 1, hotkey: b });
    assert!(matches!(
        handle.status(),
        SyncStatus::Synced { block: 11, .. }
    ));
    sup.stop(None);
}

#[tokio::test]
async fn an_outage_keeps_the_last_snapshot_and_reports_staleness_then_recovers() {
    let cold = Keypair::generate().hotkey();
    let a = Keypair::generate().hotkey();
    let (handle, _, sup) = start(vec![
        Step::Serve(Box::new(graph(5, &[Neuron::new(0, a, cold)]))),
        Step::Fail,
        Step::Fail,
        Step::Fail,
        Step::Serve(Box::new(graph(9, &[Neuron::new(0, a, cold)]))),
    ])
    .await;
    wait_status(&handle, |s| {
        matches!(s, SyncStatus::Stale { failures: 3, .. })
    })
    .await;
    // While stale, the last good snapshot is still served.
    assert_eq!(handle.current().map(|g| g.block()), Some(5));
    match handle.status() {
        SyncStatus::Stale { block, error, .. } => {
            assert_eq!(block, Some(5));
            assert_eq!(error, "chain unreachable");
        }
        other => panic!("expected stale, got {other:?}"),
    }
    wait_status(&handle, |s| {
        matches!(s, SyncStatus::Synced { block: 9, .. })
    })
    .await;
    sup.stop(None);
}

#[tokio::test]
async fn a_crashing_source_is_restarted_by_the_supervisor_and_resumes() {
    let cold = Keypair::generate().hotkey();
    let a = Keypair::generate().hotkey();
    let (handle, _, sup) = start(vec![
        Step::Serve(Box::new(graph(1, &[Neuron::new(0, a, cold)]))),
        Step::Panic,
        Step::Serve(Box::new(graph(2, &[Neuron::new(0, a, cold)]))),
    ])
    .await;
    let resumed = handle.wait_for_block(2, Duration::from_secs(5)).await;
    assert!(resumed.is_some(), "the restarted monitor publishes again");
    let restarts =
        ractor::call_t!(sup, SupervisorMsg::Restarts, 1_000, "metagraph".to_owned()).unwrap();
    assert_eq!(restarts, Some(1));
    sup.stop(None);
}
