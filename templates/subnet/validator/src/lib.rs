//! The validator of {{project-name}}: every round it sends one [`Challenge`] to every miner,
//! scores the answers and hands the scores to the weight setter.
//!
//! - what is asked: [`challenge`] (`src/challenge.rs`);
//! - how answers score: [`score`] (`src/score.rs`);
//! - which miners: `--miners` ([`parse_peer`], `src/peers.rs`), or the chain's metagraph once
//!   the validator follows one (see the README).
//!
//! The binary (`src/main.rs`) reads the command line and the wallet and calls [`run`]; the
//! tests call [`run_round`] and [`run`] against miners on `127.0.0.1`.
//!
//! [`Challenge`]: protocol::Challenge

mod challenge;
mod peers;
mod score;

use std::future::Future;
use std::time::Duration;

use axonite::Peer;
use axonite_actors::Validator;
use tokio::time::MissedTickBehavior;

pub use challenge::challenge;
pub use peers::{PeersError, check_peers, parse_peer};
pub use score::score;

/// The pace of the query loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Time from the start of one round to the start of the next.
    pub interval: Duration,
    /// How long each miner gets to answer.
    pub timeout: Duration,
}

/// Queries every miner in `miners` with round `round`'s challenge, concurrently, and scores
/// the answers. Returns `(uid, score)` for each miner, where the uid is the miner's position
/// in `miners` (with a chain, it is the metagraph's uid).
pub async fn run_round(
    validator: &Validator,
    miners: &[Peer],
    round: u64,
    timeout: Duration,
) -> Vec<(u16, f64)> {
    let challenge = challenge(round);
    let results = validator.query_many(miners, &challenge, timeout).await;
    (0..=u16::MAX)
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
/// abandoned. Each round's scores go to [`Validator::set_scores`].
pub async fn run(
    validator: &Validator,
    miners: &[Peer],
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
        let scores = tokio::select! {
            () = &mut stop => break,
            scores = run_round(validator, miners, report.rounds, schedule.timeout) => scores,
        };
        let answered = scores.iter().filter(|(_, s)| *s > 0.0).count();
        tracing::info!(
            round = report.rounds,
            answered,
            miners = miners.len(),
            "round scored"
        );
        validator.set_scores(scores.clone());
        report.rounds += 1;
        report.last_scores = scores;
    }
    report
}
