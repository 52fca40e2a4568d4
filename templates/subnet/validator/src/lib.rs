//! The validator of {{project-name}}: every round it sends one [`Challenge`] to every miner,
//! scores the answers and hands the scores to the weight setter.
//!
//! - what is asked: [`challenge`] (`src/challenge.rs`);
//! - how answers score: [`score`] (`src/score.rs`);
//! - which miners: [`Miners`] (`src/miners.rs`): the chain's metagraph, or a fixed
//!   `--miners` list ([`parse_peer`], `src/peers.rs`);
//! - where the scores go: [`on_chain`] adds the metagraph monitor and the weight setter.
//!
//! The binary (`src/main.rs`) reads the command line and the wallet and calls [`run`]; the
//! tests call [`run_round`] and [`run`] against miners on `127.0.0.1`, and against a local
//! chain (`tests/chain.rs`).
//!
//! [`Challenge`]: protocol::Challenge

mod challenge;
mod miners;
mod peers;
mod score;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axonite::{Keypair, Peer};
use axonite_actors::chain::{ChainSource, ChainWeights};
use axonite_actors::metagraph::MonitorConfig;
use axonite_actors::weights::WeightsConfig;
use axonite_actors::{Validator, ValidatorBuilder};
use tokio::time::MissedTickBehavior;

pub use challenge::challenge;
pub use miners::Miners;
pub use peers::{PeersError, check_peers, parse_peer};
pub use score::score;

/// Follows `chain`: the validator reads the subnet's metagraph (`monitor`), which gives
/// [`Miners::Metagraph`] its miners, and submits the scores handed to
/// [`Validator::set_scores`] as weights signed by `hotkey` (`weights`; commit-reveal when the
/// subnet enables it).
pub fn on_chain(
    builder: ValidatorBuilder,
    chain: Arc<ChainSource>,
    hotkey: Keypair,
    monitor: MonitorConfig,
    weights: WeightsConfig,
) -> ValidatorBuilder {
    builder
        .metagraph(chain.clone(), monitor)
        .weights(ChainWeights::new(chain, hotkey), weights)
}

/// The pace of the query loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Time from the start of one round to the start of the next.
    pub interval: Duration,
    /// How long each miner gets to answer.
    pub timeout: Duration,
}

/// Queries every `(uid, miner)` in `miners` with round `round`'s challenge, concurrently, and
/// scores the answers. Returns `(uid, score)` for each miner.
pub async fn run_round(
    validator: &Validator,
    miners: &[(u16, Peer)],
    round: u64,
    timeout: Duration,
) -> Vec<(u16, f64)> {
    let challenge = challenge(round);
    let peers: Vec<Peer> = miners.iter().map(|(_, peer)| *peer).collect();
    let results = validator.query_many(&peers, &challenge, timeout).await;
    miners
        .iter()
        .map(|(uid, _)| *uid)
        .zip(results)
        .map(|(uid, result)| {
            let score = score(&challenge, result.response());
            tracing::debug!(
                round,
                uid,
                miner = %result.peer,
                status = %result.status(),
                latency = ?result.latency,
                score,
                "scored"
            );
            (uid, score)
        })
        .collect()
}

/// What [`run`] did before it was stopped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// Rounds completed.
    pub rounds: u64,
    /// The scores of the last completed round, as handed to [`Validator::set_scores`].
    pub last_scores: Vec<(u16, f64)>,
}

/// Runs rounds every `schedule.interval` until `stop` resolves; a round in flight then is
/// abandoned. Each round's scores go to [`Validator::set_scores`]. A round with no miners
/// (no metagraph read yet, or none serving) is skipped and hands over nothing.
pub async fn run(
    validator: &Validator,
    miners: &Miners,
    schedule: Schedule,
    stop: impl Future<Output = ()>,
) -> Report {
    let mut ticker = tokio::time::interval(schedule.interval);
    // A slow round pushes the next one back instead of starting a burst of catch-up rounds.
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    tokio::pin!(stop);
    let mut report = Report::default();
    loop {
        tokio::select! {
            () = &mut stop => break,
            _ = ticker.tick() => {}
        }
        let targets = match miners.current(validator) {
            Some(targets) if !targets.is_empty() => targets,
            Some(_) => {
                tracing::info!("no miner serves an Axonite axon yet; waiting for the next round");
                continue;
            }
            None => {
                tracing::info!("waiting for the first metagraph read");
                continue;
            }
        };
        let scores = tokio::select! {
            () = &mut stop => break,
            scores = run_round(validator, &targets, report.rounds, schedule.timeout) => scores,
        };
        let answered = scores.iter().filter(|(_, s)| *s > 0.0).count();
        tracing::info!(
            round = report.rounds,
            answered,
            miners = targets.len(),
            "round scored"
        );
        validator.set_scores(scores.clone());
        report.rounds += 1;
        report.last_scores = scores;
    }
    report
}
