//! Shared helpers for Axonite's end-to-end tests: loopback miners and validators with fresh
//! keys, and a bound on every wait.
#![warn(missing_docs, unreachable_pub)]

pub mod http;
pub mod localnet;
pub mod python;
pub mod raw;
pub mod synapses;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axonite::Keypair;
use axonite::protocol::codec::encode_body;
use axonite_actors::{Miner, MinerBuilder, MinerStats, Validator};
use axonite_examples::echo::{Echo, EchoMiner, Words};

/// The netuid used by the tests.
pub const NETUID: u16 = 7;

/// Loopback, any free port.
pub fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// A miner builder on loopback for [`NETUID`] with a fresh key and no handlers yet.
pub fn miner_builder() -> MinerBuilder {
    Miner::builder(Keypair::generate())
        .netuid(NETUID)
        .listen(loopback())
}

/// A loopback echo miner (unary `Echo` and streaming `Words`).
pub async fn echo_miner() -> Miner {
    miner_builder()
        .handler::<Echo, _>(EchoMiner)
        .stream_handler::<Words, _>(EchoMiner)
        .start()
        .await
        .expect("echo miner starts")
}

/// A loopback validator for [`NETUID`] with a fresh key.
pub async fn validator() -> Validator {
    validator_with(Keypair::generate()).await
}

/// A loopback validator for [`NETUID`] proving `keypair`.
pub async fn validator_with(keypair: Keypair) -> Validator {
    Validator::builder(keypair)
        .netuid(NETUID)
        .bind(loopback())
        .start()
        .await
        .expect("validator starts")
}

/// An echo request carrying `ping`.
pub fn ping() -> Echo {
    Echo {
        payload: b"ping".to_vec(),
    }
}

/// An echo request whose encoded body is exactly `len` bytes (at least 16).
pub fn echo_encoded_as(len: usize) -> Echo {
    let probe = encode_body(&Echo {
        payload: vec![7; len - 16],
    })
    .expect("encodes")
    .len();
    let echo = Echo {
        payload: vec![7; len - 16 + len - probe],
    };
    assert_eq!(encode_body(&echo).expect("encodes").len(), len);
    echo
}

/// Asserts how many lanes `miner` opened and how many it reset for breaking the lane's rules;
/// its stats, for more checks.
#[track_caller]
pub fn assert_lanes(miner: &Miner, opened: u64, broken: u64) -> MinerStats {
    let stats = miner.stats();
    assert_eq!(
        (stats.lanes_opened, stats.lanes_broken),
        (opened, broken),
        "{stats:?}"
    );
    stats
}

/// Runs `fut`, failing the test if it takes longer than `secs` seconds.
pub async fn bounded<T>(secs: u64, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(secs), fut)
        .await
        .expect("test step timed out")
}

/// Logs to the test output when `RUST_LOG` is set.
pub fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}
