//! Supervision of a real miner: a handler pool that exhausts its restart budget escalates to
//! the miner's supervisor, which restarts the pool (the queue survives, so the miner keeps
//! serving); with no budget left there either, the whole tree stops and `Miner::wait`
//! returns.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axonite::{Admission, Handler, HandlerError, RequestContext, StatusCode, Synapse};
use axonite_actors::supervisor::{RestartPolicy, SupervisorMsg};
use axonite_actors::{Miner, MinerBuilder, QueryError};
use axonite_e2e::raw::eventually;
use axonite_e2e::{bounded, miner_builder, validator};
use serde::{Deserialize, Serialize};

/// Panics when asked to, answers otherwise.
#[derive(Debug, Serialize, Deserialize)]
struct Crash {
    panic: bool,
}

impl Synapse for Crash {
    const NAME: &'static str = "Crash";
    type Response = String;
}

#[derive(Default)]
struct CrashMiner {
    calls: Arc<AtomicUsize>,
}

impl Admission<Crash> for CrashMiner {}

impl Handler<Crash> for CrashMiner {
    async fn forward(&self, _: &RequestContext, req: Crash) -> Result<String, HandlerError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        assert!(!req.panic, "crash on purpose");
        Ok("alive".into())
    }
}

/// One worker whose pool gives up after 2 restarts within 30 s.
fn fragile_miner(supervisor_policy: RestartPolicy) -> (MinerBuilder, Arc<AtomicUsize>) {
    let handler = CrashMiner::default();
    let calls = handler.calls.clone();
    let builder = miner_builder()
        .configure(|c| {
            c.workers_per_synapse = 1;
            c.worker_restart_policy = RestartPolicy::default()
                .with_max_restarts(2)
                .with_window(Duration::from_secs(30));
            c.supervisor_policy = supervisor_policy;
        })
        .handler::<Crash, _>(handler);
    (builder, calls)
}

/// How many times the miner's supervisor restarted child `name`.
async fn restarts(miner: &Miner, name: &str) -> u64 {
    miner
        .supervisor()
        .call(
            |reply| SupervisorMsg::Restarts(name.to_owned(), reply),
            Some(Duration::from_secs(5)),
        )
        .await
        .expect("the supervisor is alive")
        .success_or("no answer")
        .expect("the supervisor answers")
        .expect("the child exists")
}

#[tokio::test]
async fn exhausted_handler_pool_is_restarted_by_the_miner_supervisor() {
    bounded(60, async {
        let (builder, calls) = fragile_miner(RestartPolicy::default());
        let miner = builder.start().await.unwrap();
        let validator = validator().await;
        let ask = |panic: bool| {
            let (validator, peer) = (&validator, miner.peer());
            async move {
                validator
                    .query_with_timeout(&peer, &Crash { panic }, Duration::from_secs(10))
                    .await
                    .outcome
            }
        };

        // Two panics are within the pool's budget (its worker is restarted), the third
        // exhausts it: the pool escalates to the miner's supervisor.
        for _ in 0..3 {
            assert_eq!(
                ask(true).await,
                Err(QueryError::Status {
                    status: StatusCode::INTERNAL_ERROR,
                    message: "handler panicked".into()
                })
            );
        }
        // The restarted pool drains the same queue: the miner still serves.
        assert_eq!(ask(false).await, Ok("alive".to_owned()));
        assert_eq!(restarts(&miner, "handlers/Crash").await, 1);
        assert_eq!(restarts(&miner, "listener").await, 0);

        // The fresh pool has a fresh budget, and the listener was untouched: new validators
        // are served and the first connection is still the one in use.
        assert_eq!(
            ask(true).await.map_err(|e| e.status()),
            Err(StatusCode::INTERNAL_ERROR)
        );
        assert_eq!(ask(false).await, Ok("alive".to_owned()));
        assert_eq!(restarts(&miner, "handlers/Crash").await, 1);
        assert_eq!(validator.connection_count(), 1);
        assert_eq!(miner.stats().handshakes_ok, 1);
        assert_eq!(calls.load(Ordering::SeqCst), 6);

        validator.shutdown().await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}

#[tokio::test]
async fn escalation_past_the_miner_budget_stops_the_tree() {
    bounded(60, async {
        // The miner's supervisor may not restart anything: the pool's escalation reaches
        // the top of the tree.
        let (builder, _) = fragile_miner(RestartPolicy::default().with_max_restarts(0));
        let miner = builder.start().await.unwrap();
        let peer = miner.peer();
        let validator = validator().await;
        for _ in 0..3 {
            let result = validator
                .query_with_timeout(&peer, &Crash { panic: true }, Duration::from_secs(10))
                .await;
            assert_eq!(
                result.status(),
                StatusCode::INTERNAL_ERROR,
                "{:?}",
                result.outcome
            );
        }
        // The tree stops by itself; `wait` returns.
        miner.wait().await;
        // Nothing is left serving: the validator's connection was closed with the tree...
        eventually("the validator's connection closes", || {
            validator.connection_count() == 0
        })
        .await;
        let late = validator
            .query_with_timeout(&peer, &Crash { panic: false }, Duration::from_secs(2))
            .await;
        assert_ne!(late.status(), StatusCode::OK, "{:?}", late.outcome);
        validator.shutdown().await;
        // ...and the miner's socket was released: the port can be bound again.
        eventually("the stopped miner releases its UDP port", || {
            std::net::UdpSocket::bind(peer.addr).is_ok()
        })
        .await;
    })
    .await;
}
