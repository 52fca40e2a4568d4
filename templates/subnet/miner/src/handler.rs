//! How this subnet's miners answer: the request pipeline's hooks and the work itself.
//!
//! Axonite runs them in this order for each request: `verify` (401 when it fails),
//! `blacklist` (403), the miner's rate limits (429), `priority` (the request's place in the
//! queue when the handler pool is busy), then `forward` under the request's deadline (408).

use axonite::{Admission, Blacklist, Handler, HandlerError, RequestContext};
use protocol::{Answer, Challenge, MAX_PROMPT_BYTES};

/// The work: the prompt reversed, character by character. Replace it with the subnet's task.
pub fn solve(prompt: &str) -> String {
    prompt.chars().rev().collect()
}

/// The miner's logic for [`Challenge`].
#[derive(Debug, Clone, Default)]
pub struct SubnetMiner {
    min_stake: f64,
}

impl SubnetMiner {
    /// A miner that serves every validator that proves its hotkey.
    pub fn new() -> Self {
        Self::default()
    }

    /// Refuses (403) validators with less stake than `min_stake`. Stake is known when the
    /// miner follows a chain; without one every caller has 0, so keep 0 for local runs.
    pub fn with_min_stake(mut self, min_stake: f64) -> Self {
        self.min_stake = min_stake;
        self
    }
}

impl Admission<Challenge> for SubnetMiner {
    /// Checks the request itself: a prompt that is empty or too long is refused before any
    /// work is queued.
    async fn verify(&self, _ctx: &RequestContext, request: &Challenge) -> Result<(), String> {
        if request.prompt.is_empty() {
            Err("empty prompt".to_owned())
        } else if request.prompt.len() > MAX_PROMPT_BYTES {
            Err(format!(
                "prompt of {} bytes is over the limit of {MAX_PROMPT_BYTES}",
                request.prompt.len()
            ))
        } else {
            Ok(())
        }
    }

    /// Decides who may be served at all, from what the handshake proved about the caller.
    async fn blacklist(&self, ctx: &RequestContext, _request: &Challenge) -> Blacklist {
        if ctx.caller.stake < self.min_stake {
            Blacklist::Deny(format!(
                "stake {:.3} is below the minimum {:.3}",
                ctx.caller.stake, self.min_stake
            ))
        } else {
            Blacklist::Allow
        }
    }

    /// Validators with more stake go first when the miner is busy, and are shed last.
    fn priority(&self, ctx: &RequestContext, _request: &Challenge) -> f64 {
        ctx.caller.stake
    }
}

impl Handler<Challenge> for SubnetMiner {
    async fn forward(
        &self,
        ctx: &RequestContext,
        request: Challenge,
    ) -> Result<Answer, HandlerError> {
        tracing::debug!(caller = %ctx.caller.hotkey, request_id = ctx.request_id, "challenge");
        Ok(Answer {
            text: solve(&request.prompt),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use axonite::{Caller, Keypair};

    use super::*;

    fn ctx(stake: f64) -> RequestContext {
        RequestContext {
            caller: Arc::new(Caller {
                hotkey: Keypair::generate().hotkey(),
                addr: "127.0.0.1:9".parse().unwrap(),
                uid: None,
                stake,
                validator_permit: false,
            }),
            synapse: "Challenge",
            request_id: 1,
            received_at: Instant::now(),
            deadline: Instant::now() + Duration::from_secs(1),
        }
    }

    fn challenge(prompt: &str) -> Challenge {
        Challenge {
            prompt: prompt.to_owned(),
        }
    }

    #[tokio::test]
    async fn forward_answers_the_reversed_prompt() {
        let answer = SubnetMiner::new()
            .forward(&ctx(0.0), challenge("héllo axon"))
            .await
            .unwrap();
        assert_eq!(answer.text, "noxa olléh");
    }

    #[tokio::test]
    async fn verify_refuses_empty_and_oversized_prompts() {
        let miner = SubnetMiner::new();
        assert_eq!(miner.verify(&ctx(0.0), &challenge("ok")).await, Ok(()));
        assert_eq!(
            miner.verify(&ctx(0.0), &challenge("")).await,
            Err("empty prompt".to_owned())
        );
        let long = "x".repeat(MAX_PROMPT_BYTES + 1);
        let err = miner
            .verify(&ctx(0.0), &challenge(&long))
            .await
            .unwrap_err();
        assert!(err.contains("over the limit"), "{err}");
    }

    #[tokio::test]
    async fn blacklist_denies_callers_below_the_minimum_stake() {
        let miner = SubnetMiner::new().with_min_stake(10.0);
        assert!(matches!(
            miner.blacklist(&ctx(9.5), &challenge("x")).await,
            Blacklist::Deny(_)
        ));
        assert_eq!(
            miner.blacklist(&ctx(10.0), &challenge("x")).await,
            Blacklist::Allow
        );
        // The default admits everyone, as a local run without a chain needs.
        assert_eq!(
            SubnetMiner::new()
                .blacklist(&ctx(0.0), &challenge("x"))
                .await,
            Blacklist::Allow
        );
    }

    #[test]
    fn priority_follows_stake() {
        let miner = SubnetMiner::new();
        assert!(
            miner.priority(&ctx(5.0), &challenge("x")) > miner.priority(&ctx(1.0), &challenge("x"))
        );
    }
}
