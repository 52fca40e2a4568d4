//! Checks against a real local subtensor chain (Chopsticks running the spec 218 runtime).
//!
//! Ignored by default: start a chain and run them with its URL, e.g.
//!
//! ```text
//! cd ../shared/localnet && node <chopsticks>/chopsticks.cjs --config chopsticks.yml --port 19944 &
//! AXONITE_CHAIN_URL=ws://127.0.0.1:19944 cargo test -p axonite --lib chain::tests -- --ignored
//! ```
//!
//! The chain has //Alice (sudo), //Bob and //Charlie funded, and netuid 1 open to burned
//! registration. The tests share the chain and change subnet settings, so they take turns
//! (a lock), and each registers fresh hotkeys.

use std::time::Instant;

use subxt::dynamic::Value;
use tokio::sync::{Mutex, MutexGuard, OnceCell};

use super::{ChainClient, ChainError, ChainOptions, Finality, TxOutcome, commit_hash};
use crate::identity::Keypair;
use crate::metagraph::{AxonInfo, RAO_PER_TAO};

const NETUID: u16 = 1;
const IGNORE: &str = "needs a local chain: run with AXONITE_CHAIN_URL=ws://127.0.0.1:PORT";

static TURN: Mutex<()> = Mutex::const_new(());

async fn setup() -> (MutexGuard<'static, ()>, ChainClient) {
    let guard = TURN.lock().await;
    let url = std::env::var("AXONITE_CHAIN_URL").unwrap_or_else(|_| panic!("{IGNORE}"));
    let started = Instant::now();
    let chain = ChainClient::connect(&url).await.expect("connect");
    eprintln!("connect: {:?}", started.elapsed());
    (guard, chain)
}

fn dev(uri: &str) -> Keypair {
    Keypair::from_dev_uri(uri).expect("dev key")
}

fn ok(outcome: Result<TxOutcome, ChainError>, what: &str) -> TxOutcome {
    let outcome = outcome.unwrap_or_else(|e| panic!("{what}: {e}"));
    eprintln!(
        "{what}: block {} in {:?} ({})",
        outcome.block_number,
        outcome.elapsed,
        match &outcome.result {
            Ok(()) => "ok".to_owned(),
            Err(e) => e.to_string(),
        }
    );
    outcome
        .into_result()
        .unwrap_or_else(|e| panic!("{what}: {e}"))
}

fn failed(outcome: Result<TxOutcome, ChainError>, what: &str) -> String {
    match outcome {
        Ok(outcome) => match outcome.result {
            Ok(()) => panic!("{what}: expected a failure, it succeeded"),
            Err(failure) => failure.to_string(),
        },
        Err(e) => e.to_string(),
    }
}

static REGISTRATION_OPEN: OnceCell<()> = OnceCell::const_new();

/// Lifts netuid 1's registration limits once per run: the tests register more hotkeys than
/// the genesis limits allow per interval (spec 218 then refuses with custom error 5).
async fn open_registration(chain: &ChainClient) {
    REGISTRATION_OPEN
        .get_or_init(|| async {
            let alice = dev("//Alice");
            for call in [
                "sudo_set_target_registrations_per_interval",
                "sudo_set_max_registrations_per_block",
            ] {
                let args = vec![Value::u128(NETUID.into()), Value::u128(1_000)];
                ok(chain.sudo_admin_utils(&alice, call, args).await, call);
            }
        })
        .await;
}

/// Registers a fresh hotkey on netuid 1, paid by //Bob; returns it and its uid.
async fn register(chain: &ChainClient) -> (Keypair, u16) {
    open_registration(chain).await;
    let hotkey = Keypair::generate();
    ok(
        chain
            .burned_register(&dev("//Bob"), NETUID, &hotkey.hotkey())
            .await,
        "burned_register",
    );
    let uid = chain
        .at_finalized()
        .await
        .expect("view")
        .uid_of(NETUID, &hotkey.hotkey())
        .await
        .expect("read Uids")
        .expect("registered hotkey has a uid");
    (hotkey, uid)
}

#[tokio::test]
#[ignore = "needs a local chain: run with AXONITE_CHAIN_URL=ws://127.0.0.1:PORT"]
async fn registered_and_served_neuron_shows_in_the_metagraph() {
    let (_turn, chain) = setup().await;
    let at = chain.at_finalized().await.expect("view");
    eprintln!(
        "spec_version {} at block {}, genesis {}",
        at.spec_version(),
        at.block_number(),
        hex::encode(chain.genesis_hash())
    );
    let (hotkey, uid) = register(&chain).await;

    let axon = AxonInfo::axonite("127.0.0.2".parse().expect("ip"), 40_001);
    let served = ok(chain.serve_axon(&hotkey, NETUID, &axon).await, "serve_axon");
    // add_stake lands, but netuid 1's pool on this chain holds 1 rao of alpha, so 10 TAO buy
    // next to nothing; write a stake directly instead.
    ok(
        chain
            .add_stake(&dev("//Bob"), NETUID, &hotkey.hotkey(), 10 * RAO_PER_TAO)
            .await,
        "add_stake 10 TAO",
    );
    chain
        .dev_set_stake(NETUID, &hotkey.hotkey(), 2_500 * RAO_PER_TAO)
        .await
        .expect("dev_setStorage");

    let started = Instant::now();
    let graph = chain.metagraph(NETUID).await.expect("metagraph");
    eprintln!(
        "metagraph of {} neurons: {:?}",
        graph.len(),
        started.elapsed()
    );
    assert!(graph.block() >= served.block_number);
    let neuron = graph
        .by_hotkey(&hotkey.hotkey())
        .expect("neuron is registered");
    assert_eq!(neuron.uid, uid);
    assert_eq!(graph.by_uid(uid).map(|n| n.hotkey), Some(hotkey.hotkey()));
    assert_eq!(neuron.coldkey, dev("//Bob").hotkey());
    let on_chain = neuron.axon.expect("axon served");
    assert_eq!(on_chain.socket_addr(), axon.socket_addr());
    assert!(on_chain.is_axonite());
    assert_eq!(on_chain.block, served.block_number);
    assert!(
        graph
            .axonite_peers()
            .iter()
            .any(|p| p.hotkey == hotkey.hotkey())
    );

    let stake = chain
        .at_block(graph.block_hash().to_owned())
        .await
        .expect("view at the snapshot's block")
        .stake_rao(NETUID, &hotkey.hotkey())
        .await
        .expect("stake");
    assert_eq!(neuron.stake_rao, stake);
    assert_eq!(stake, 2_500 * RAO_PER_TAO);
    assert_eq!(neuron.stake, 2_500.0);
    assert_eq!(neuron.stake, stake as f64 / 1e9);
    eprintln!(
        "neuron uid {uid}: stake {} ({} rao), permit {}, active {}, last_update {}",
        neuron.stake, neuron.stake_rao, neuron.validator_permit, neuron.active, neuron.last_update
    );
    let hp = graph.hyperparameters();
    eprintln!("hyperparameters: {hp:?}");
    assert!(hp.tempo > 0);
}

#[tokio::test]
#[ignore = "needs a local chain: run with AXONITE_CHAIN_URL=ws://127.0.0.1:PORT"]
async fn serving_at_localhost_fails_with_a_named_pallet_error() {
    let (_turn, chain) = setup().await;
    let (hotkey, _) = register(&chain).await;
    let axon = AxonInfo::axonite("127.0.0.1".parse().expect("ip"), 40_002);
    let error = failed(chain.serve_axon(&hotkey, NETUID, &axon).await, "serve_axon");
    assert!(error.contains("InvalidIpAddress"), "{error}");
}

#[tokio::test]
#[ignore = "needs a local chain: run with AXONITE_CHAIN_URL=ws://127.0.0.1:PORT"]
async fn registering_twice_fails_with_a_named_pallet_error() {
    let (_turn, chain) = setup().await;
    let (hotkey, _) = register(&chain).await;
    let error = failed(
        chain
            .burned_register(&dev("//Bob"), NETUID, &hotkey.hotkey())
            .await,
        "second burned_register",
    );
    assert!(error.contains("AlreadyRegistered"), "{error}");
}

#[tokio::test]
#[ignore = "needs a local chain: run with AXONITE_CHAIN_URL=ws://127.0.0.1:PORT"]
async fn sudo_from_a_key_that_is_not_sudo_fails() {
    let (_turn, chain) = setup().await;
    let error = failed(
        chain
            .sudo_set_weights_set_rate_limit(&dev("//Bob"), NETUID, 0)
            .await,
        "sudo by //Bob",
    );
    assert!(error.contains("RequireSudo"), "{error}");
}

#[tokio::test]
#[ignore = "needs a local chain: run with AXONITE_CHAIN_URL=ws://127.0.0.1:PORT"]
async fn set_weights_lands_and_reads_back() {
    let (_turn, chain) = setup().await;
    let alice = dev("//Alice");
    ok(
        chain
            .sudo_set_commit_reveal_weights_enabled(&alice, NETUID, false)
            .await,
        "disable commit-reveal",
    );
    ok(
        chain
            .sudo_set_weights_set_rate_limit(&alice, NETUID, 100)
            .await,
        "weights rate limit 100",
    );
    let (hotkey, uid) = register(&chain).await;
    let version_key = chain
        .hyperparameters(NETUID)
        .await
        .expect("hyperparameters")
        .weights_version_key
        .unwrap_or(0);

    // Registration counts as an update: a fresh neuron is inside the rate limit.
    let error = failed(
        chain
            .set_weights(&hotkey, NETUID, &[uid], &[1_000], version_key)
            .await,
        "set_weights inside the rate limit",
    );
    eprintln!("set_weights inside the rate limit: {error}");
    assert!(error.contains("SettingWeightsTooFast"), "{error}");

    ok(
        chain
            .sudo_set_weights_set_rate_limit(&alice, NETUID, 0)
            .await,
        "weights rate limit 0",
    );
    let outcome = ok(
        chain
            .set_weights(&hotkey, NETUID, &[uid], &[1_000], version_key)
            .await,
        "set_weights",
    );
    let weights = chain
        .at_block(outcome.block_hash)
        .await
        .expect("view")
        .weights(NETUID, uid)
        .await
        .expect("read Weights");
    // Self-weight, max-upscaled by the pallet.
    assert_eq!(weights, [(uid, u16::MAX)]);
}

#[tokio::test]
#[ignore = "needs a local chain: run with AXONITE_CHAIN_URL=ws://127.0.0.1:PORT"]
async fn commit_then_reveal_lands() {
    let (_turn, chain) = setup().await;
    let alice = dev("//Alice");
    ok(
        chain
            .sudo_set_weights_set_rate_limit(&alice, NETUID, 0)
            .await,
        "weights rate limit 0",
    );
    ok(chain.sudo_set_tempo(&alice, NETUID, 10).await, "tempo 10");
    ok(
        chain
            .sudo_set_commit_reveal_weights_enabled(&alice, NETUID, true)
            .await,
        "enable commit-reveal",
    );
    let (hotkey, uid) = register(&chain).await;
    let hp = chain
        .hyperparameters(NETUID)
        .await
        .expect("hyperparameters");
    assert!(hp.commit_reveal_weights_enabled);
    assert_eq!(hp.tempo, 10);
    let version_key = hp.weights_version_key.unwrap_or(0);

    let error = failed(
        chain
            .set_weights(&hotkey, NETUID, &[uid], &[1_000], version_key)
            .await,
        "set_weights under commit-reveal",
    );
    assert!(error.contains("CommitRevealEnabled"), "{error}");

    // The commit lands in the next block and the early reveal in the one after: both must
    // fall in the same epoch, or the "early" reveal is already inside the reveal window (with
    // tempo 10 that happens when the commit lands in the last of the epoch's 11 blocks).
    let now = chain.block_number().await.expect("block number");
    let epoch_end = hp.first_block_of_epoch(NETUID, hp.epoch_index(NETUID, now + 1) + 1);
    if now + 2 >= epoch_end {
        let skip = u32::try_from(epoch_end - now).expect("few blocks");
        chain.dev_new_blocks(skip).await.expect("dev_newBlock");
    }

    let (uids, values, salt) = (vec![uid], vec![500], vec![17, 42, 7]);
    let hash = commit_hash(&hotkey.hotkey(), NETUID, &uids, &values, &salt, version_key);
    let committed = ok(
        chain.commit_weights(&hotkey, NETUID, hash).await,
        "commit_weights",
    );
    let pending = chain
        .at_block(committed.block_hash)
        .await
        .expect("view")
        .weight_commit_hashes(NETUID, &hotkey.hotkey())
        .await
        .expect("read WeightCommits");
    assert_eq!(pending, [hash]);

    // Too early: the reveal belongs to the next epoch (reveal period 1).
    let early = failed(
        chain
            .reveal_weights(&hotkey, NETUID, &uids, &values, &salt, version_key)
            .await,
        "early reveal",
    );
    eprintln!("early reveal: {early}");

    let window = hp
        .reveal_window(NETUID, committed.block_number)
        .expect("reveal period known");
    let now = chain.block_number().await.expect("block number");
    // The reveal goes into block `now + 1 + empty blocks`.
    let empty = window.start.saturating_sub(now + 1);
    eprintln!(
        "commit at {}, reveal window {window:?}, now {now}: {empty} empty blocks",
        committed.block_number
    );
    let started = Instant::now();
    chain
        .dev_new_blocks(u32::try_from(empty).expect("few blocks"))
        .await
        .expect("dev_newBlock");
    eprintln!("dev_newBlock x{empty}: {:?}", started.elapsed());

    let revealed = ok(
        chain
            .reveal_weights(&hotkey, NETUID, &uids, &values, &salt, version_key)
            .await,
        "reveal_weights",
    );
    assert!(window.contains(&revealed.block_number), "{window:?}");
    let weights = chain
        .at_block(revealed.block_hash)
        .await
        .expect("view")
        .weights(NETUID, uid)
        .await
        .expect("read Weights");
    assert_eq!(weights, [(uid, u16::MAX)]);
    let pending = chain
        .at_block(revealed.block_hash)
        .await
        .expect("view")
        .weight_commit_hashes(NETUID, &hotkey.hotkey())
        .await
        .expect("read WeightCommits");
    assert!(pending.is_empty(), "{pending:?}");

    // Leave the subnet as the other tests expect it.
    ok(
        chain
            .sudo_set_commit_reveal_weights_enabled(&alice, NETUID, false)
            .await,
        "disable commit-reveal",
    );
    ok(chain.sudo_set_tempo(&alice, NETUID, 100).await, "tempo 100");
}

#[tokio::test]
#[ignore = "needs a local chain: run with AXONITE_CHAIN_URL=ws://127.0.0.1:PORT"]
async fn finalized_blocks_are_followed() {
    let (_turn, chain) = setup().await;
    let before = chain.block_number().await.expect("block number");
    let mut blocks = chain.finalized_blocks().await.expect("subscribe");
    chain.dev_new_blocks(2).await.expect("dev_newBlock");
    let mut last = 0;
    while last < before + 2 {
        let block = tokio::time::timeout(std::time::Duration::from_secs(10), blocks.next())
            .await
            .expect("a block within 10 s")
            .expect("stream open")
            .expect("block");
        last = block.number;
        let at = chain
            .at_block(block.hash)
            .await
            .expect("the reported hash is a block");
        assert_eq!(at.block_number(), block.number);
    }
    assert!(last >= before + 2);
}

#[tokio::test]
#[ignore = "needs a local chain: run with AXONITE_CHAIN_URL=ws://127.0.0.1:PORT"]
async fn missing_subnet_is_not_found() {
    let (_turn, chain) = setup().await;
    let error = chain.metagraph(999).await.expect_err("no subnet 999");
    assert_eq!(error, ChainError::not_found("subnet 999"));
}

#[tokio::test]
#[ignore = "needs a local chain: run with AXONITE_CHAIN_URL=ws://127.0.0.1:PORT"]
async fn writes_can_return_at_inclusion() {
    let (_turn, _) = setup().await;
    let url = std::env::var("AXONITE_CHAIN_URL").unwrap_or_else(|_| panic!("{IGNORE}"));
    let options = ChainOptions::default().wait_for(Finality::InBlock);
    let chain = ChainClient::connect_with(&url, options)
        .await
        .expect("connect");
    let outcome = ok(
        chain
            .sudo_set_serving_rate_limit(&dev("//Alice"), NETUID, 50)
            .await,
        "serving rate limit 50, in block",
    );
    let hp = chain
        .at_block(outcome.block_hash)
        .await
        .expect("view")
        .hyperparameters(NETUID)
        .await
        .expect("hyperparameters");
    assert_eq!(hp.serving_rate_limit, 50);
}
