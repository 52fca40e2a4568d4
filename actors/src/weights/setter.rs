//! The weight setter actor.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axonite::Hotkey;
use axonite::chain::commit_hash;
use axonite::service::BoxFuture;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use tokio::sync::watch;

use super::plan::{PendingReveal, Step, next_step, normalize};
use crate::metagraph::MetagraphHandle;
use crate::progress::waiting_for;
use crate::supervisor::Backoff;
use crate::task::OwnedTask;

/// Submits weight extrinsics; each call resolves to the block the extrinsic landed in. The
/// chain client implements it; tests use fakes.
pub trait WeightsSubmitter: Send + Sync + 'static {
    /// `set_weights(netuid, uids, weights, version_key)`.
    fn set_weights(
        &self,
        netuid: u16,
        uids: Vec<u16>,
        weights: Vec<u16>,
        version_key: u64,
    ) -> BoxFuture<'_, Result<u64, String>>;
    /// `commit_weights(netuid, hash)`.
    fn commit_weights(&self, netuid: u16, hash: [u8; 32]) -> BoxFuture<'_, Result<u64, String>>;
    /// `reveal_weights(netuid, uids, weights, salt, version_key)`.
    fn reveal_weights(
        &self,
        netuid: u16,
        uids: Vec<u16>,
        weights: Vec<u16>,
        salt: Vec<u16>,
        version_key: u64,
    ) -> BoxFuture<'_, Result<u64, String>>;
}

/// How a weight setter works.
#[derive(Debug, Clone)]
pub struct WeightsConfig {
    /// The subnet.
    pub netuid: u16,
    /// How often to check whether weights are due. Default 12 s (one block).
    pub check_interval: Duration,
    /// Delay after a failed submission, growing with consecutive failures. Default 2 s
    /// doubling to 60 s.
    pub retry: Backoff,
    /// The version key to submit; default: the subnet's `WeightsVersionKey`, or 0.
    pub version_key: Option<u64>,
}

impl WeightsConfig {
    /// Defaults for `netuid`.
    pub fn new(netuid: u16) -> Self {
        Self {
            netuid,
            check_interval: Duration::from_secs(12),
            retry: Backoff::default()
                .with_initial(Duration::from_secs(2))
                .with_max(Duration::from_secs(60)),
            version_key: None,
        }
    }
}

/// One submission that landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// The block it landed in.
    pub block: u64,
    /// The uids sent.
    pub uids: Vec<u16>,
    /// Their weights.
    pub weights: Vec<u16>,
}

/// What the weight setter has done.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WeightsReport {
    /// The last `set_weights` that landed.
    pub last_set: Option<Submission>,
    /// The last `commit_weights` that landed.
    pub last_commit: Option<Submission>,
    /// The last `reveal_weights` that landed.
    pub last_reveal: Option<Submission>,
    /// The last failure, cleared by the next success.
    pub last_error: Option<String>,
    /// Consecutive failures.
    pub failures: u32,
}

/// The validator's side of a weight setter: scores in, reports out. Survives restarts.
#[derive(Debug, Clone)]
pub struct WeightsHandle {
    scores: Arc<watch::Sender<Vec<(u16, f64)>>>,
    report: Arc<watch::Sender<WeightsReport>>,
    pending: Arc<Mutex<Option<PendingReveal>>>,
}

impl Default for WeightsHandle {
    fn default() -> Self {
        Self {
            scores: Arc::new(watch::Sender::new(Vec::new())),
            report: Arc::new(watch::Sender::new(WeightsReport::default())),
            pending: Arc::new(Mutex::new(None)),
        }
    }
}

impl WeightsHandle {
    /// Replaces the scores to submit next: `(uid, score)`, any non-negative scale.
    pub fn set_scores(&self, scores: Vec<(u16, f64)>) {
        self.scores.send_replace(scores);
    }

    /// What has landed so far.
    pub fn report(&self) -> WeightsReport {
        self.report.borrow().clone()
    }

    /// A receiver that wakes on every report change.
    pub fn watch(&self) -> watch::Receiver<WeightsReport> {
        self.report.subscribe()
    }

    fn pending(&self) -> Option<PendingReveal> {
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn set_pending(&self, pending: Option<PendingReveal>) {
        *self.pending.lock().unwrap_or_else(|p| p.into_inner()) = pending;
    }
}

/// Start arguments of a [`WeightSetter`], cloned on every (re)start.
#[derive(Clone)]
pub struct WeightsArgs {
    /// Where extrinsics go.
    pub submitter: Arc<dyn WeightsSubmitter>,
    /// How to work.
    pub config: WeightsConfig,
    /// The metagraph followed (blocks, hyperparameters, this validator's last update).
    pub metagraph: MetagraphHandle,
    /// This validator's hotkey (the signer).
    pub hotkey: Hotkey,
    /// Scores in, reports out.
    pub handle: WeightsHandle,
}

/// Sets weights on the subnet's schedule. See the [module docs](crate::weights).
pub struct WeightSetter;

/// Messages of the weight setter.
pub enum WeightsMsg {
    /// Check whether something is due.
    Check,
    /// A submission finished.
    Done(Done),
}

/// A finished submission.
pub struct Done {
    step: Step,
    uids: Vec<u16>,
    weights: Vec<u16>,
    pending: Option<PendingReveal>,
    result: Result<u64, String>,
}

/// The weight setter's state.
pub struct SetterState {
    args: WeightsArgs,
    in_flight: Option<OwnedTask>,
    /// Block of our last landed update, ahead of what the metagraph may show yet.
    last_landed: u64,
}

impl Actor for WeightSetter {
    type Msg = WeightsMsg;
    type State = SetterState;
    type Arguments = WeightsArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<WeightsMsg>,
        args: WeightsArgs,
    ) -> Result<SetterState, ActorProcessingErr> {
        myself.send_message(WeightsMsg::Check)?;
        Ok(SetterState {
            args,
            in_flight: None,
            last_landed: 0,
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<WeightsMsg>,
        msg: WeightsMsg,
        state: &mut SetterState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            WeightsMsg::Check => {
                if state.in_flight.is_none() && !state.check(&myself) {
                    let interval = state.args.config.check_interval;
                    myself.send_after(interval, || WeightsMsg::Check);
                }
            }
            WeightsMsg::Done(done) => {
                state.in_flight = None;
                let delay = state.finish(done);
                myself.send_after(delay, || WeightsMsg::Check);
            }
        }
        Ok(())
    }
}

// === impl SetterState ===

impl SetterState {
    /// Starts a submission if one is due; true when one started.
    fn check(&mut self, myself: &ActorRef<WeightsMsg>) -> bool {
        let Some(graph) = self.args.metagraph.current() else {
            return false;
        };
        let netuid = self.args.config.netuid;
        let Some(me) = graph.by_hotkey(&self.args.hotkey) else {
            self.args.handle.report.send_modify(|r| {
                r.last_error = Some("this validator is not registered on the subnet".into());
            });
            return false;
        };
        let hp = graph.hyperparameters();
        let version_key = self
            .args
            .config
            .version_key
            .or(hp.weights_version_key)
            .unwrap_or(0);
        let scores = self.args.handle.scores.borrow().clone();
        let (uids, weights) = normalize(&scores);
        // A chain reset (dev and local nets) goes back in height: forget what landed on the old
        // chain, including a commit whose reveal could never come.
        if graph.block() < self.last_landed {
            self.last_landed = 0;
        }
        let mut pending = self.args.handle.pending();
        if pending
            .as_ref()
            .is_some_and(|p| p.commit_block > graph.block())
        {
            self.args.handle.set_pending(None);
            pending = None;
        }
        let last_update = me.last_update.max(self.last_landed);
        let step = next_step(
            netuid,
            graph.block(),
            hp,
            last_update,
            !uids.is_empty(),
            pending.as_ref(),
        );
        let submitter = self.args.submitter.clone();
        let (call, pending_after): (BoxFuture<'static, Result<u64, String>>, _) = match step {
            Step::Idle | Step::WaitUntil(_) => return false,
            Step::Set => {
                let (u, w) = (uids.clone(), weights.clone());
                (
                    Box::pin(async move { submitter.set_weights(netuid, u, w, version_key).await }),
                    None,
                )
            }
            Step::Commit => {
                let salt: Vec<u16> = (0..8).map(|_| rand::random()).collect();
                let hash = commit_hash(
                    &self.args.hotkey,
                    netuid,
                    &uids,
                    &weights,
                    &salt,
                    version_key,
                );
                let reveal = PendingReveal {
                    commit_block: 0,
                    uids: uids.clone(),
                    weights: weights.clone(),
                    salt,
                    version_key,
                };
                (
                    Box::pin(async move { submitter.commit_weights(netuid, hash).await }),
                    Some(reveal),
                )
            }
            Step::Reveal => {
                let Some(p) = pending.clone() else {
                    return false;
                };
                (
                    Box::pin(async move {
                        submitter
                            .reveal_weights(netuid, p.uids, p.weights, p.salt, p.version_key)
                            .await
                    }),
                    None,
                )
            }
        };
        let (uids, weights) = match (&step, &pending) {
            (Step::Reveal, Some(p)) => (p.uids.clone(), p.weights.clone()),
            _ => (uids, weights),
        };
        tracing::info!(netuid, ?step, uids = uids.len(), "submitting weights");
        let me = myself.clone();
        self.in_flight = Some(OwnedTask::detached(tokio::spawn(async move {
            let result = waiting_for(&format!("{step:?} weights landing"), call).await;
            let _ = me.send_message(WeightsMsg::Done(Done {
                step,
                uids,
                weights,
                pending: pending_after,
                result,
            }));
        })));
        true
    }

    /// Records a finished submission; returns when to check next.
    fn finish(&mut self, done: Done) -> Duration {
        let config = &self.args.config;
        match done.result {
            Ok(block) => {
                let landed = Submission {
                    block,
                    uids: done.uids,
                    weights: done.weights,
                };
                match done.step {
                    Step::Set => {
                        self.last_landed = block;
                        self.args
                            .handle
                            .report
                            .send_modify(|r| r.last_set = Some(landed));
                    }
                    Step::Commit => {
                        self.last_landed = block;
                        let pending = done.pending.map(|p| PendingReveal {
                            commit_block: block,
                            ..p
                        });
                        self.args.handle.set_pending(pending);
                        self.args
                            .handle
                            .report
                            .send_modify(|r| r.last_commit = Some(landed));
                    }
                    Step::Reveal => {
                        self.args.handle.set_pending(None);
                        self.args
                            .handle
                            .report
                            .send_modify(|r| r.last_reveal = Some(landed));
                    }
                    Step::Idle | Step::WaitUntil(_) => {}
                }
                tracing::info!(netuid = config.netuid, ?done.step, block, "weights landed");
                self.args.handle.report.send_modify(|r| {
                    r.failures = 0;
                    r.last_error = None;
                });
                config.check_interval
            }
            Err(error) => {
                tracing::warn!(netuid = config.netuid, ?done.step, %error, "weights submission failed; will retry");
                let mut attempt = 0;
                self.args.handle.report.send_modify(|r| {
                    attempt = r.failures;
                    r.failures = r.failures.saturating_add(1);
                    r.last_error = Some(error);
                });
                config.retry.jittered(attempt, &mut rand::rng())
            }
        }
    }
}
