//! An Axonite validator querying miners that still run the bittensor SDK's Python axon
//! (bittensor 10.5.0) over legacy HTTP, alone and mixed with Axonite miners.
//!
//! Ignored by default (they need `scripts/python-sdk install`); `scripts/test` runs them:
//! `cargo nextest run -p axonite-e2e --test interop_python_axon --run-ignored only`.

use std::net::SocketAddr;
use std::time::Duration;

use axonite::identity::Hotkey;
use axonite::{Keypair, Peer, StatusCode};
use axonite_actors::{QueryError, Validator};
use axonite_e2e::python::{PythonPeer, Sdk};
use axonite_e2e::{bounded, miner_builder, validator_with};
use axonite_examples::legacy::{Dummy, LegacyMiner, Summation};

const TIMEOUT: Duration = Duration::from_secs(10);

/// A Python axon; `allow` blacklists every other caller.
async fn python_axon(allow: Option<&Hotkey>) -> (PythonPeer, Peer) {
    let allow = allow.map(Hotkey::to_ss58);
    let mut args = Vec::new();
    if let Some(allow) = &allow {
        args.extend(["--blacklist-all-but", allow.as_str()]);
    }
    let mut axon = PythonPeer::spawn(Sdk::V10, "axon_server.py", &args, &[]);
    let ready = bounded(90, axon.next_json()).await;
    let port = ready["port"].as_u64().expect("port") as u16;
    let hotkey = Hotkey::from_ss58(ready["hotkey"].as_str().expect("hotkey")).expect("ss58");
    let peer = Peer::legacy(hotkey, SocketAddr::from(([127, 0, 0, 1], port)));
    (axon, peer)
}

async fn fresh_validator() -> (Validator, Keypair) {
    let keypair = Keypair::generate();
    (
        validator_with(Keypair::from_seed(keypair.seed())).await,
        keypair,
    )
}

#[tokio::test]
#[ignore = "needs scripts/python-sdk install; scripts/test runs it"]
async fn an_axonite_validator_gets_answers_from_a_python_axon() {
    let (axon, peer) = python_axon(None).await;
    let (validator, _) = fresh_validator().await;

    let dummy = bounded(
        30,
        validator.query_compat(&peer, &Dummy { dummy_input: 21 }, TIMEOUT),
    )
    .await;
    assert_eq!(
        dummy.outcome.clone().expect("answered").dummy_output,
        Some(42),
        "{dummy:?}"
    );
    assert!(dummy.process_time.is_some());

    let request = Summation {
        values: vec![1, 2, 3, 40],
        label: "it's \"quoted\" \u{e9}".into(),
        scale: 0.5,
    };
    let sum = bounded(30, validator.query_compat(&peer, &request, TIMEOUT)).await;
    let sum = sum.outcome.expect("answered");
    assert_eq!(sum.total, Some(23.0));
    assert_eq!(sum.echo.as_deref(), Some(request.label.as_str()));

    let stats = validator.stats();
    assert_eq!(stats.queries["Dummy"].ok, 1);
    assert_eq!(stats.queries["Summation"].ok, 1);
    validator.shutdown().await;
    assert!(bounded(30, axon.finish()).await.success());
}

#[tokio::test]
#[ignore = "needs scripts/python-sdk install; scripts/test runs it"]
async fn a_python_axon_refuses_a_wrong_hotkey_and_a_blacklisted_caller_and_keeps_answering() {
    let (validator, keypair) = fresh_validator().await;
    let (axon, peer) = python_axon(Some(&keypair.hotkey())).await;

    // Signed for another hotkey than the axon's: its signature check fails.
    let wrong = Peer::legacy(Keypair::generate().hotkey(), peer.addr);
    let refused = bounded(
        30,
        validator.query_compat(&wrong, &Dummy { dummy_input: 1 }, TIMEOUT),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{refused:?}");

    let answered = bounded(
        30,
        validator.query_compat(&peer, &Dummy { dummy_input: 2 }, TIMEOUT),
    )
    .await;
    assert_eq!(answered.outcome.expect("answered").dummy_output, Some(4));

    // Another validator is blacklisted by the axon's blacklist function.
    let (other, _) = fresh_validator().await;
    let blacklisted = bounded(
        30,
        other.query_compat(&peer, &Dummy { dummy_input: 3 }, TIMEOUT),
    )
    .await;
    assert_eq!(
        blacklisted.status(),
        StatusCode::FORBIDDEN,
        "{blacklisted:?}"
    );

    other.shutdown().await;
    validator.shutdown().await;
    assert!(bounded(30, axon.finish()).await.success());
}

#[tokio::test]
#[ignore = "needs scripts/python-sdk install; scripts/test runs it"]
async fn one_call_queries_axonite_and_python_miners_together() {
    let (axon, python) = python_axon(None).await;
    let miner = miner_builder()
        .legacy_handler::<Dummy, _>(LegacyMiner)
        .start()
        .await
        .expect("miner starts");
    let (validator, _) = fresh_validator().await;
    let peers = [
        miner.peer(),
        python,
        Peer::legacy(miner.hotkey(), miner.legacy_addr().expect("http")),
    ];
    let results = bounded(
        30,
        validator.query_many_compat(&peers, &Dummy { dummy_input: 5 }, TIMEOUT),
    )
    .await;
    for (result, peer) in results.iter().zip(&peers) {
        assert_eq!(result.peer, *peer);
        assert_eq!(
            result.outcome.as_ref().expect("answered").dummy_output,
            Some(10),
            "{result:?}"
        );
    }
    // A legacy peer through the QUIC-only call is a clear error, not a timeout.
    let quic_only = validator
        .query_with_timeout(&peers[1], &Dummy { dummy_input: 1 }, TIMEOUT)
        .await;
    assert!(
        matches!(quic_only.outcome, Err(QueryError::Protocol(_))),
        "{quic_only:?}"
    );
    validator.shutdown().await;
    miner.shutdown(Duration::from_secs(2)).await;
    assert!(bounded(30, axon.finish()).await.success());
}
