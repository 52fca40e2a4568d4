//! The local subtensor chain harness: a real runtime under Chopsticks on loopback starts,
//! answers JSON-RPC, runs beside others, stops, and comes back on the same port.
//! Needs node and Chopsticks (`scripts/localnet install`; `LocalChain::start` installs it if
//! missing).

use std::time::{Duration, Instant};

use axonite_e2e::localnet::{self, LocalChain};

/// Startup can include a one-time Chopsticks install (about 75 s) on a fresh machine.
const TEST_BOUND: Duration = Duration::from_secs(300);

async fn bounded<T>(fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(TEST_BOUND, fut)
        .await
        .expect("test timed out")
}

async fn start() -> LocalChain {
    let started = Instant::now();
    let chain = LocalChain::start()
        .await
        .unwrap_or_else(|e| panic!("local chain starts: {e}"));
    eprintln!(
        "chain on port {} answered after {:.1} s",
        chain.port(),
        started.elapsed().as_secs_f64()
    );
    chain
}

async fn assert_is_bittensor(chain: &LocalChain) {
    let name = chain
        .rpc("system_chain", "[]")
        .await
        .unwrap_or_else(|e| panic!("system_chain answers: {e}\n{}", chain.log_tail()));
    assert_eq!(name, r#""bittensor""#);
}

/// Waits (at most 10 s) until nothing answers on `port`.
async fn assert_port_goes_quiet(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while localnet::rpc(port, "system_chain", "[]").await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "port {port} still answers after stop"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn local_chain_starts_answers_and_stops() {
    bounded(async {
        let mut chain = start().await;
        assert_eq!(chain.ws_url(), format!("ws://127.0.0.1:{}", chain.port()));
        assert!(chain.is_running());
        assert_is_bittensor(&chain).await;

        let header = chain.rpc("chain_getHeader", "[]").await.unwrap();
        assert!(header.contains(r#""number":"0x"#), "header: {header}");
        let number = chain.best_block_number().await.unwrap();
        assert!(number < 10, "a fresh chain is near genesis, got #{number}");

        // A JSON-RPC error comes back as an error, not as a result.
        let unknown = chain.rpc("no_such_method", "[]").await;
        assert!(unknown.is_err(), "unknown method gave {unknown:?}");

        let port = chain.port();
        chain.stop();
        assert!(!chain.is_running());
        assert_port_goes_quiet(port).await;
        chain.stop(); // idempotent
    })
    .await;
}

#[tokio::test]
async fn two_chains_run_side_by_side_on_different_ports() {
    bounded(async {
        let (a, b) = tokio::join!(start(), start());
        assert_ne!(a.port(), b.port());
        assert_is_bittensor(&a).await;
        assert_is_bittensor(&b).await;

        // Separate state: a block built on one chain does not appear on the other.
        let before_b = b.best_block_number().await.unwrap();
        a.rpc("dev_newBlock", "[]").await.unwrap();
        a.rpc("dev_newBlock", "[]").await.unwrap();
        let after_a = a.best_block_number().await.unwrap();
        assert!(after_a >= 2, "chain a built blocks: #{after_a}");
        assert_eq!(b.best_block_number().await.unwrap(), before_b);

        // Dropping one leaves the other running.
        let port_a = a.port();
        drop(a);
        assert_port_goes_quiet(port_a).await;
        assert_is_bittensor(&b).await;
    })
    .await;
}

#[tokio::test]
async fn a_stopped_chain_can_be_restarted_on_the_same_port() {
    bounded(async {
        let mut chain = start().await;
        let port = chain.port();
        let url = chain.ws_url();
        chain.rpc("dev_newBlock", r#"[{"count":3}]"#).await.unwrap();
        let built = chain.best_block_number().await.unwrap();
        assert!(built >= 3, "built blocks: #{built}");

        chain.stop_process();
        assert_port_goes_quiet(port).await;
        let down = chain.rpc("system_chain", "[]").await;
        assert!(down.is_err(), "a stopped chain answered {down:?}");

        let restarted = Instant::now();
        chain
            .restart_process()
            .await
            .unwrap_or_else(|e| panic!("restart on port {port}: {e}"));
        eprintln!(
            "restarted on port {port} in {:.1} s",
            restarted.elapsed().as_secs_f64()
        );
        assert_eq!(chain.port(), port);
        assert_eq!(chain.ws_url(), url);
        assert_is_bittensor(&chain).await;
        // State is not kept: the chain is back near genesis.
        assert!(chain.best_block_number().await.unwrap() < built);
    })
    .await;
}
