//! Miners with character, so the demo shows what a validator sees when miners misbehave.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axonite::{Admission, Handler, HandlerError, RequestContext};

use crate::echo::{Echo, EchoMiner, EchoReply};

/// How a demo miner behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Echoes at once.
    Honest,
    /// Echoes after `delay`, which is longer than the validator waits in some rounds.
    Slow(Duration),
    /// Panics on its `n`th request (1-based), then recovers after its worker restarts.
    PanicsOnce(u64),
}

/// An echo miner with a [`Behaviour`].
#[derive(Debug)]
pub struct DemoMiner {
    behaviour: Behaviour,
    served: AtomicU64,
}

impl DemoMiner {
    /// A miner that behaves as `behaviour`.
    pub fn new(behaviour: Behaviour) -> Self {
        Self {
            behaviour,
            served: AtomicU64::new(0),
        }
    }
}

impl Admission<Echo> for DemoMiner {}

impl Handler<Echo> for DemoMiner {
    async fn forward(
        &self,
        ctx: &RequestContext,
        request: Echo,
    ) -> Result<EchoReply, HandlerError> {
        let n = self.served.fetch_add(1, Ordering::Relaxed) + 1;
        match self.behaviour {
            Behaviour::Honest => {}
            Behaviour::Slow(delay) => tokio::time::sleep(delay).await,
            Behaviour::PanicsOnce(at) => {
                if n == at {
                    panic!("demo miner panics on request {n}, on purpose");
                }
            }
        }
        <EchoMiner as Handler<Echo>>::forward(&EchoMiner, ctx, request).await
    }
}
