//! The legacy HTTP axon against the real bittensor SDKs: a bittensor 10.5.0 `dendrite` and
//! bittensor 11.3.0's `http_auth` query an Axonite miner on loopback.
//!
//! Ignored by default (they need `scripts/python-sdk install`); `scripts/test` runs them:
//! `cargo nextest run -p axonite-e2e --test interop_python_dendrite --run-ignored only`.

use std::time::Duration;

use axonite::Keypair;
use axonite::directory::{StaticDirectory, ValidatorInfo};
use axonite_actors::Miner;
use axonite_actors::miner::ValidatorGate;
use axonite_e2e::python::{PythonPeer, Sdk};
use axonite_e2e::{NETUID, bounded, loopback, validator_with};
use axonite_examples::legacy::{Dummy, LegacyMiner, Summation};
use serde_json::Value;

/// A miner serving Dummy and Summation over QUIC and HTTP that admits only `dendrite`.
async fn legacy_miner(dendrite: &Keypair) -> Miner {
    Miner::builder(Keypair::generate())
        .netuid(NETUID)
        .listen(loopback())
        .directory(StaticDirectory::new([(
            dendrite.hotkey(),
            ValidatorInfo::new(0, 1_000.0, true),
        )]))
        .configure(|c| c.gate = ValidatorGate::PERMITTED)
        .legacy_handler::<Dummy, _>(LegacyMiner)
        .legacy_handler::<Summation, _>(LegacyMiner)
        .start()
        .await
        .expect("miner starts")
}

fn seed_env(keypair: &Keypair) -> String {
    format!("0x{}", hex(keypair.seed()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs `tests/python/<script>` against `miner` as `dendrite` and returns its JSON lines.
async fn run(
    sdk: Sdk,
    script: &str,
    mode: Option<&str>,
    miner: &Miner,
    dendrite: &Keypair,
    lines: usize,
) -> Vec<Value> {
    let addr = miner.legacy_addr().expect("legacy HTTP is served");
    let (ip, port, hotkey) = (
        addr.ip().to_string(),
        addr.port().to_string(),
        miner.hotkey().to_ss58(),
    );
    let mut args: Vec<&str> = mode.into_iter().collect();
    args.extend(["--ip", &ip, "--port", &port, "--hotkey", &hotkey]);
    let seed = seed_env(dendrite);
    let mut peer = PythonPeer::spawn(sdk, script, &args, &[("AXONITE_TEST_DENDRITE_SEED", &seed)]);
    let mut out = Vec::new();
    for _ in 0..lines {
        out.push(bounded(90, peer.next_json()).await);
    }
    let status = bounded(30, peer.finish()).await;
    assert!(status.success(), "{script} exited with {status}");
    out
}

#[tokio::test]
#[ignore = "needs scripts/python-sdk install; scripts/test runs it"]
async fn a_bittensor_10_dendrite_gets_answers_for_both_synapse_shapes() {
    let dendrite = Keypair::generate();
    let miner = legacy_miner(&dendrite).await;
    let answers = run(
        Sdk::V10,
        "dendrite_client.py",
        Some("query"),
        &miner,
        &dendrite,
        2,
    )
    .await;

    assert_eq!(answers[0]["synapse"], "Dummy");
    assert_eq!(answers[0]["status"], 200, "{}", answers[0]);
    assert_eq!(answers[0]["dummy_output"], 42);

    // Summation signs every field (required_hash_fields), including a string with quotes.
    assert_eq!(answers[1]["status"], 200, "{}", answers[1]);
    assert_eq!(answers[1]["total"], 23.0);
    assert_eq!(answers[1]["echo"], "it's \"quoted\" \u{e9}");
    assert_eq!(answers[1]["axon_hotkey"], miner.hotkey().to_ss58());

    let stats = miner.stats();
    assert_eq!(stats.requests["Dummy"].ok, 1);
    assert_eq!(stats.requests["Summation"].ok, 1);
    miner.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
#[ignore = "needs scripts/python-sdk install; scripts/test runs it"]
async fn replayed_stale_tampered_and_forged_requests_are_refused_and_the_miner_keeps_serving() {
    let dendrite = Keypair::generate();
    let miner = legacy_miner(&dendrite).await;
    let statuses = &run(
        Sdk::V10,
        "dendrite_client.py",
        Some("attacks"),
        &miner,
        &dendrite,
        1,
    )
    .await[0];

    assert_eq!(statuses["first"], 200, "{statuses}");
    assert_eq!(statuses["replayed"], 401, "{statuses}");
    assert_eq!(statuses["stale"], 401, "{statuses}");
    // The SDK answers a body changed after signing with 500; Axonite with 400.
    assert_eq!(statuses["tampered"], 400, "{statuses}");
    assert_eq!(statuses["wrong_key"], 401, "{statuses}");
    assert_eq!(statuses["unknown_synapse"], 404, "{statuses}");
    assert_eq!(statuses["after"], 200, "{statuses}");

    // QUIC is unaffected: the same handler answers the same (admitted) hotkey.
    let validator = validator_with(Keypair::from_seed(dendrite.seed())).await;
    let reply = bounded(
        10,
        validator.query_with_timeout(
            &miner.peer(),
            &Dummy { dummy_input: 4 },
            Duration::from_secs(5),
        ),
    )
    .await;
    assert_eq!(reply.outcome.expect("QUIC answer").dummy_output, Some(8));
    validator.shutdown().await;
    miner.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
#[ignore = "needs scripts/python-sdk install; scripts/test runs it"]
async fn concurrent_queries_from_one_dendrite_are_all_answered() {
    // Their nonces reach the miner's threads out of order; each is accepted once.
    let dendrite = Keypair::generate();
    let miner = legacy_miner(&dendrite).await;
    let result = &run(
        Sdk::V10,
        "dendrite_client.py",
        Some("concurrent"),
        &miner,
        &dendrite,
        1,
    )
    .await[0];
    assert_eq!(result["right"], 64, "{result}");
    assert_eq!(miner.stats().requests["Dummy"].ok, 64);
    miner.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
#[ignore = "needs scripts/python-sdk install; scripts/test runs it"]
async fn a_btauth_request_signed_by_bittensor_11_is_served_and_its_replay_refused() {
    let client = Keypair::generate();
    let miner = legacy_miner(&client).await;
    let result = &run(Sdk::V11, "btauth_client.py", None, &miner, &client, 1).await[0];
    assert_eq!(result["first"], 200, "{result}");
    assert_eq!(result["answer"]["dummy_output"], 40, "{result}");
    assert_eq!(result["answer"]["axon"]["status_code"], 200, "{result}");
    assert_eq!(result["replayed"], 401, "{result}");
    miner.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
#[ignore = "needs scripts/python-sdk install; scripts/test runs it"]
async fn a_dendrite_the_gate_does_not_admit_gets_403() {
    let admitted = Keypair::generate();
    let stranger = Keypair::generate();
    let miner = legacy_miner(&admitted).await;
    let answers = run(
        Sdk::V10,
        "dendrite_client.py",
        Some("query"),
        &miner,
        &stranger,
        2,
    )
    .await;
    assert_eq!(answers[0]["status"], 403, "{}", answers[0]);
    assert_eq!(answers[0]["dummy_output"], Value::Null);
    miner.shutdown(Duration::from_secs(2)).await;
}
