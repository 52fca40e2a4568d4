//! The weight setter against a fake chain whose block height the test controls.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axonite::chain::commit_hash;
use axonite::metagraph::{Hyperparameters, Metagraph, Neuron};
use axonite::service::BoxFuture;
use axonite::{Hotkey, Keypair};
use ractor::Actor;

use super::*;
use crate::metagraph::MetagraphHandle;
use crate::supervisor::Backoff;

const NETUID: u16 = 1;

#[derive(Debug, Clone, PartialEq)]
enum Call {
    Set(Vec<u16>, Vec<u16>),
    Commit([u8; 32]),
    Reveal(Vec<u16>, Vec<u16>, Vec<u16>, u64),
}

#[derive(Default)]
struct FakeChain {
    block: AtomicU64,
    fail_next: AtomicU32,
    calls: Mutex<Vec<(u64, Call)>>,
}

impl FakeChain {
    fn record(&self, call: Call) -> BoxFuture<'_, Result<u64, String>> {
        let failed = self
            .fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        let block = self.block.load(Ordering::SeqCst);
        if !failed {
            self.calls.lock().unwrap().push((block, call));
        }
        Box::pin(async move {
            if failed {
                Err("SubtensorModule::SettingWeightsTooFast".to_owned())
            } else {
                Ok(block)
            }
        })
    }

    fn calls(&self) -> Vec<(u64, Call)> {
        self.calls.lock().unwrap().clone()
    }
}

struct Chain(Arc<FakeChain>);

impl WeightsSubmitter for Chain {
    fn set_weights(
        &self,
        _: u16,
        uids: Vec<u16>,
        weights: Vec<u16>,
        _: u64,
    ) -> BoxFuture<'_, Result<u64, String>> {
        self.0.record(Call::Set(uids, weights))
    }
    fn commit_weights(&self, _: u16, hash: [u8; 32]) -> BoxFuture<'_, Result<u64, String>> {
        self.0.record(Call::Commit(hash))
    }
    fn reveal_weights(
        &self,
        _: u16,
        uids: Vec<u16>,
        weights: Vec<u16>,
        salt: Vec<u16>,
        version_key: u64,
    ) -> BoxFuture<'_, Result<u64, String>> {
        self.0
            .record(Call::Reveal(uids, weights, salt, version_key))
    }
}

fn publish(
    handle: &MetagraphHandle,
    chain: &FakeChain,
    block: u64,
    me: Hotkey,
    hp: &Hyperparameters,
) {
    chain.block.store(block, Ordering::SeqCst);
    let neurons = vec![
        Neuron::new(0, me, Keypair::generate().hotkey()),
        Neuron::new(
            1,
            Keypair::generate().hotkey(),
            Keypair::generate().hotkey(),
        ),
    ];
    handle.publish(Metagraph::new(NETUID, block, [0; 32], neurons, hp.clone()));
}

async fn start(
    chain: &Arc<FakeChain>,
    me: Hotkey,
) -> (
    MetagraphHandle,
    WeightsHandle,
    ractor::ActorRef<setter::WeightsMsg>,
) {
    let metagraph = MetagraphHandle::new();
    let handle = WeightsHandle::default();
    let mut config = WeightsConfig::new(NETUID);
    config.check_interval = Duration::from_millis(10);
    config.retry = Backoff::default()
        .with_initial(Duration::from_millis(5))
        .with_max(Duration::from_millis(10));
    let args = WeightsArgs {
        submitter: Arc::new(Chain(chain.clone())),
        config,
        metagraph: metagraph.clone(),
        hotkey: me,
        handle: handle.clone(),
    };
    let (actor, _) = Actor::spawn(None, WeightSetter, args).await.unwrap();
    (metagraph, handle, actor)
}

async fn until(handle: &WeightsHandle, pred: impl Fn(&WeightsReport) -> bool) -> WeightsReport {
    let mut rx = handle.watch();
    tokio::time::timeout(Duration::from_secs(5), rx.wait_for(|r| pred(r)))
        .await
        .expect("report reached in time")
        .unwrap()
        .clone()
}

#[tokio::test]
async fn weights_are_set_once_per_rate_limit_window() {
    let chain = Arc::new(FakeChain::default());
    let me = Keypair::generate().hotkey();
    let hp = Hyperparameters {
        tempo: 99,
        weights_set_rate_limit: 100,
        ..Default::default()
    };
    let (metagraph, handle, actor) = start(&chain, me).await;
    handle.set_scores(vec![(1, 0.25), (0, 1.0)]);
    publish(&metagraph, &chain, 200, me, &hp);
    let report = until(&handle, |r| r.last_set.is_some()).await;
    assert_eq!(
        report.last_set,
        Some(Submission {
            block: 200,
            uids: vec![0, 1],
            weights: vec![65535, 16384]
        })
    );
    // Later blocks inside the window: nothing more is sent, even though the metagraph still
    // shows last_update 0 (the setter remembers what landed).
    for block in [210, 250, 299] {
        publish(&metagraph, &chain, block, me, &hp);
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    assert_eq!(chain.calls().len(), 1);
    // The window reopens at 300.
    publish(&metagraph, &chain, 300, me, &hp);
    until(&handle, |r| {
        r.last_set.as_ref().is_some_and(|s| s.block == 300)
    })
    .await;
    assert_eq!(chain.calls().len(), 2);
    actor.stop(None);
}

#[tokio::test]
async fn commit_reveal_commits_then_reveals_exactly_what_was_committed() {
    let chain = Arc::new(FakeChain::default());
    let me = Keypair::generate().hotkey();
    let hp = Hyperparameters {
        tempo: 9,
        weights_set_rate_limit: 0,
        commit_reveal_weights_enabled: true,
        reveal_period_epochs: Some(1),
        weights_version_key: Some(3),
        ..Default::default()
    };
    let (metagraph, handle, actor) = start(&chain, me).await;
    handle.set_scores(vec![(0, 2.0), (1, 1.0)]);
    publish(&metagraph, &chain, 30, me, &hp);
    until(&handle, |r| r.last_commit.is_some()).await;
    // Before the window (epoch of block 30 is 3; reveal in epoch 4 = blocks 38..48): no reveal.
    publish(&metagraph, &chain, 35, me, &hp);
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert!(handle.report().last_reveal.is_none());
    publish(&metagraph, &chain, 38, me, &hp);
    let report = until(&handle, |r| r.last_reveal.is_some()).await;
    assert_eq!(report.last_reveal.map(|s| s.block), Some(38));

    let calls = chain.calls();
    let Some((30, Call::Commit(hash))) = calls.first().cloned() else {
        panic!("first call must be the commit at block 30: {calls:?}");
    };
    let Some((38, Call::Reveal(uids, weights, salt, version_key))) = calls.get(1).cloned() else {
        panic!("second call must be the reveal at block 38: {calls:?}");
    };
    assert_eq!(
        (uids.as_slice(), weights.as_slice(), version_key),
        (&[0u16, 1][..], &[65535u16, 32768][..], 3)
    );
    assert_eq!(
        hash,
        commit_hash(&me, NETUID, &uids, &weights, &salt, version_key)
    );
    actor.stop(None);
}

#[tokio::test]
async fn failed_submissions_are_retried_and_reported() {
    let chain = Arc::new(FakeChain::default());
    chain.fail_next.store(2, Ordering::SeqCst);
    let me = Keypair::generate().hotkey();
    let hp = Hyperparameters::default();
    let (metagraph, handle, actor) = start(&chain, me).await;
    handle.set_scores(vec![(1, 1.0)]);
    publish(&metagraph, &chain, 10, me, &hp);
    let failing = until(&handle, |r| r.failures == 2).await;
    assert_eq!(
        failing.last_error.as_deref(),
        Some("SubtensorModule::SettingWeightsTooFast")
    );
    let report = until(&handle, |r| r.last_set.is_some()).await;
    assert_eq!((report.failures, report.last_error), (0, None));
    actor.stop(None);
}

#[tokio::test]
async fn an_unregistered_validator_reports_it_and_sends_nothing() {
    let chain = Arc::new(FakeChain::default());
    let (metagraph, handle, actor) = start(&chain, Keypair::generate().hotkey()).await;
    handle.set_scores(vec![(1, 1.0)]);
    // The metagraph lists someone else at uid 0.
    publish(
        &metagraph,
        &chain,
        10,
        Keypair::generate().hotkey(),
        &Hyperparameters::default(),
    );
    let report = until(&handle, |r| r.last_error.is_some()).await;
    assert!(report.last_error.unwrap().contains("not registered"));
    assert!(chain.calls().is_empty());
    actor.stop(None);
}
