//! The generated miner and validator on a real local subtensor chain: the miner advertises
//! its axon, the validator finds it in the metagraph, queries and scores it, and its weights
//! land on chain.
//!
//! Needs a local chain whose //Alice is sudo and //Bob is funded, such as Axonite's
//! `scripts/localnet start` (a real subtensor runtime under Chopsticks), so it is ignored by
//! a plain `cargo test`. Run it with:
//! ```text
//! AXONITE_CHAIN_URL=ws://127.0.0.1:9944 cargo test -p validator --test chain -- --ignored
//! ```
//! It uses the chain's netuid 1 (open to registration on the local chain) whatever this
//! subnet's own netuid is, and lifts that subnet's registration and weights rate limits.

use std::sync::Arc;
use std::time::Duration;

use axonite::chain::{ChainClient, ChainError, ChainOptions, TxOutcome};
use axonite::{Keypair, StatusCode};
use axonite_actors::Validator;
use axonite_actors::chain::ChainSource;
use axonite_actors::metagraph::MonitorConfig;
use axonite_actors::supervisor::Backoff;
use axonite_actors::weights::WeightsConfig;
use miner::SubnetMiner;
use validator::{Miners, Schedule, run};

/// The local chain's subnet that is open to registration.
const NETUID: u16 = 1;

/// Bound of the whole test: registrations, serving, a few rounds, weights landing.
const BOUND: Duration = Duration::from_secs(180);

/// The miner's address: `serve_axon` refuses exactly 127.0.0.1.
const MINER_LISTEN: &str = "127.0.0.2:0";

fn chain_url() -> String {
    std::env::var("AXONITE_CHAIN_URL").expect(
        "set AXONITE_CHAIN_URL to a local chain's ws:// URL (Axonite's scripts/localnet start)",
    )
}

fn options() -> ChainOptions {
    ChainOptions::default()
        .connect_timeout(Duration::from_secs(5))
        .read_timeout(Duration::from_secs(10))
}

fn dev(uri: &str) -> Keypair {
    Keypair::from_dev_uri(uri).expect("dev key")
}

/// An extrinsic that must land and succeed.
fn ok(outcome: Result<TxOutcome, ChainError>, what: &str) {
    if let Err(e) = outcome.and_then(TxOutcome::into_result) {
        panic!("{what}: {e}");
    }
}

/// Reads the metagraph often: the local chain makes a block per extrinsic, not every 12 s.
fn monitor() -> MonitorConfig {
    let mut config = MonitorConfig::new(NETUID);
    config.sync_interval = Duration::from_millis(300);
    config.retry = Backoff::default()
        .with_initial(Duration::from_millis(200))
        .with_max(Duration::from_secs(2));
    config
}

fn weights() -> WeightsConfig {
    let mut config = WeightsConfig::new(NETUID);
    config.check_interval = Duration::from_millis(300);
    config.retry = Backoff::default()
        .with_initial(Duration::from_millis(300))
        .with_max(Duration::from_secs(2));
    config
}

async fn register(client: &ChainClient, hotkey: &Keypair) -> u16 {
    ok(
        client
            .burned_register(&dev("//Bob"), NETUID, &hotkey.hotkey())
            .await,
        "burned_register",
    );
    client
        .at_finalized()
        .await
        .expect("view")
        .uid_of(NETUID, &hotkey.hotkey())
        .await
        .expect("read Uids")
        .expect("a registered hotkey has a uid")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a local chain: set AXONITE_CHAIN_URL (see the file's docs)"]
async fn miner_and_validator_meet_on_chain_and_weights_land() {
    tokio::time::timeout(BOUND, async {
        let url = chain_url();
        let client = ChainClient::connect_with(&url, options())
            .await
            .expect("connect to the local chain");
        let alice = dev("//Alice");
        for call in [
            "sudo_set_target_registrations_per_interval",
            "sudo_set_max_registrations_per_block",
        ] {
            ok(
                client
                    .sudo_admin_utils_uints(&alice, call, &[NETUID.into(), 1_000])
                    .await,
                call,
            );
        }
        // Registration counts as a weights update: without this the first set_weights
        // would wait out the subnet's rate limit.
        ok(
            client
                .sudo_set_weights_set_rate_limit(&alice, NETUID, 0)
                .await,
            "sudo_set_weights_set_rate_limit",
        );
        let chain = Arc::new(ChainSource::new(url, options()));
        let listen = MINER_LISTEN.parse().expect("address");

        // A miner whose hotkey is not registered does not start, and says why.
        let stranger = miner::builder(Keypair::generate(), NETUID, listen, SubnetMiner::new());
        let err = miner::on_chain(stranger, chain.clone(), monitor(), listen)
            .start()
            .await
            .err()
            .expect("an unregistered miner must not start");
        assert!(err.to_string().contains("not registered"), "{err}");

        let (m, v) = (Keypair::generate(), Keypair::generate());
        let m_uid = register(&client, &m).await;
        let v_uid = register(&client, &v).await;

        let miner = miner::on_chain(
            miner::builder(m, NETUID, listen, SubnetMiner::new()),
            chain.clone(),
            monitor(),
            listen,
        )
        .start()
        .await
        .expect("the registered miner starts and serves its axon");
        let validator = validator::on_chain(
            Validator::builder(v.clone())
                .netuid(NETUID)
                .bind("127.0.0.1:0".parse().expect("address")),
            chain,
            v,
            monitor(),
            weights(),
        )
        .start()
        .await
        .expect("validator starts");

        // Rounds run until the weight setter reports weights that include the miner.
        let schedule = Schedule {
            interval: Duration::from_millis(300),
            timeout: Duration::from_secs(5),
        };
        let mut landed = validator.weights().watch();
        let report = run(&validator, &Miners::Metagraph, schedule, async {
            let _ = landed
                .wait_for(|r| r.last_set.as_ref().is_some_and(|s| s.uids.contains(&m_uid)))
                .await;
        })
        .await;

        // The miner answered right, so it scored 1 and got the highest weight.
        assert!(report.rounds >= 1, "{report:?}");
        assert!(report.last_scores.contains(&(m_uid, 1.0)), "{report:?}");
        let ok_answers = miner.stats().requests.get("Challenge").map_or(0, |c| c.ok);
        assert!(ok_answers >= 1, "{:?}", miner.stats());
        let stored = client
            .at_finalized()
            .await
            .expect("view")
            .weights(NETUID, v_uid)
            .await
            .expect("read Weights");
        assert!(stored.contains(&(m_uid, u16::MAX)), "Weights: {stored:?}");

        // The validator reaches the miner only because the chain lists both: a hotkey the
        // chain does not know is refused at the handshake.
        let outsider = Validator::builder(Keypair::generate())
            .netuid(NETUID)
            .bind("127.0.0.1:0".parse().expect("address"))
            .start()
            .await
            .expect("outsider starts");
        let refused = outsider
            .query_with_timeout(
                &miner.peer(),
                &validator::challenge(0),
                Duration::from_secs(5),
            )
            .await;
        assert_ne!(refused.status(), StatusCode::OK, "{refused:?}");

        outsider.shutdown().await;
        validator.shutdown().await;
        miner.shutdown(Duration::from_secs(1)).await;
    })
    .await
    .expect("test finished in time");
}
