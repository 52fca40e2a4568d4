//! The generated miner and validator against each other over QUIC on 127.0.0.1, in one
//! process, each test bounded in time.

use std::time::Duration;

use axonite::{Admission, Handler, HandlerError, Keypair, Peer, RequestContext};
use axonite_actors::{Miner, Validator};
use miner::SubnetMiner;
use protocol::{Answer, Challenge, NETUID};
use validator::{Miners, Schedule, run, run_round};

const BOUND: Duration = Duration::from_secs(30);

/// Challenges the miner answered 200.
fn served(miner: &Miner) -> u64 {
    miner
        .stats()
        .requests
        .get("Challenge")
        .map_or(0, |counts| counts.ok)
}

async fn start_miner() -> Miner {
    miner::builder(
        Keypair::generate(),
        NETUID,
        "127.0.0.1:0".parse().expect("loopback address"),
        SubnetMiner::new(),
    )
    .start()
    .await
    .expect("miner starts")
}

async fn start_validator() -> Validator {
    Validator::builder(Keypair::generate())
        .netuid(NETUID)
        .bind("127.0.0.1:0".parse().expect("loopback address"))
        .start()
        .await
        .expect("validator starts")
}

/// With `--axon.legacy_http`, validators still on the bittensor Python SDK reach the same
/// handler over HTTP: here the Axonite validator's legacy client stands in for them (it
/// signs as a bittensor 10 dendrite does).
#[tokio::test]
async fn the_miner_answers_legacy_http_validators_too() {
    tokio::time::timeout(BOUND, async {
        let miner = miner::builder_with_legacy_http(
            Keypair::generate(),
            NETUID,
            "127.0.0.1:0".parse().expect("loopback address"),
            SubnetMiner::new(),
        )
        .start()
        .await
        .expect("miner starts");
        let http = miner.legacy_addr().expect("legacy HTTP is served");
        let validator = start_validator().await;
        let challenge = Challenge {
            prompt: "legacy".into(),
        };
        let peers = [miner.peer(), Peer::legacy(miner.hotkey(), http)];
        let results = validator
            .query_many_compat(&peers, &challenge, Duration::from_secs(5))
            .await;
        for result in results {
            let answer = result.outcome.expect("answered");
            assert_eq!(answer.text, miner::solve(&challenge.prompt));
        }
        assert_eq!(served(&miner), 2);
        validator.shutdown().await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await
    .expect("bounded");
}

/// A miner that answers, but wrongly: its score must be 0.
struct WrongMiner;
impl Admission<Challenge> for WrongMiner {}
impl Handler<Challenge> for WrongMiner {
    async fn forward(&self, _: &RequestContext, req: Challenge) -> Result<Answer, HandlerError> {
        Ok(Answer { text: req.prompt })
    }
}

#[tokio::test]
async fn the_validator_scores_right_wrong_and_missing_answers() {
    tokio::time::timeout(BOUND, async {
        let good = start_miner().await;
        let wrong = Miner::builder(Keypair::generate())
            .netuid(NETUID)
            .listen("127.0.0.1:0".parse().expect("loopback address"))
            .handler::<Challenge, _>(WrongMiner)
            .start()
            .await
            .expect("wrong miner starts");
        // Nobody listens there: a UDP port we bound and released.
        let absent = {
            let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
            Peer::new(
                Keypair::generate().hotkey(),
                socket.local_addr().expect("addr"),
            )
        };
        let validator = start_validator().await;

        let miners = [(0, good.peer()), (4, wrong.peer()), (9, absent)];
        let scores = run_round(&validator, &miners, 0, Duration::from_secs(2)).await;
        assert_eq!(scores, vec![(0, 1.0), (4, 0.0), (9, 0.0)]);
        assert_eq!(served(&good), 1);

        validator.shutdown().await;
        good.shutdown(Duration::from_secs(1)).await;
        wrong.shutdown(Duration::from_secs(1)).await;
    })
    .await
    .expect("test finished in time");
}

#[tokio::test]
async fn the_loop_runs_rounds_until_stopped_and_hands_over_the_scores() {
    tokio::time::timeout(BOUND, async {
        let miner = start_miner().await;
        let validator = start_validator().await;
        let schedule = Schedule {
            interval: Duration::from_millis(50),
            timeout: Duration::from_secs(2),
        };
        // Stop once the miner answered three challenges.
        let miners = Miners::Static(vec![miner.peer()]);
        let report = run(&validator, &miners, schedule, async {
            while served(&miner) < 3 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        assert!(report.rounds >= 2, "{report:?}");
        assert_eq!(report.last_scores, vec![(0, 1.0)]);

        validator.shutdown().await;
        miner.shutdown(Duration::from_secs(1)).await;
    })
    .await
    .expect("test finished in time");
}

#[tokio::test]
async fn a_validator_without_a_metagraph_skips_rounds_and_sets_nothing() {
    tokio::time::timeout(BOUND, async {
        let validator = start_validator().await;
        let schedule = Schedule {
            interval: Duration::from_millis(20),
            timeout: Duration::from_secs(1),
        };
        assert_eq!(Miners::Metagraph.current(&validator), None);
        let report = run(&validator, &Miners::Metagraph, schedule, async {
            tokio::time::sleep(Duration::from_millis(200)).await;
        })
        .await;
        assert_eq!(report.rounds, 0, "{report:?}");
        assert!(report.last_scores.is_empty());
        validator.shutdown().await;
    })
    .await
    .expect("test finished in time");
}
