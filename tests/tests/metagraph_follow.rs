//! Miners and validators following a metagraph (served by a `StaticSource`, so no chain):
//! discovery from the metagraph alone, the permit gate, and the pool following changes.

use std::net::SocketAddr;
use std::time::Duration;

use axonite::metagraph::{AxonInfo, Hyperparameters, Metagraph, Neuron};
use axonite::{Hotkey, Keypair, StatusCode};
use axonite_actors::metagraph::{MonitorConfig, StaticSource};
use axonite_actors::rate_limit::{Quota, RateLimitConfig, StakeTier};
use axonite_actors::{Miner, QueryError, Validator};
use axonite_e2e::raw::eventually;
use axonite_e2e::{NETUID, bounded, loopback, ping, validator_with};
use axonite_examples::echo::{Echo, EchoMiner};

fn fast() -> MonitorConfig {
    let mut config = MonitorConfig::new(NETUID);
    config.sync_interval = Duration::from_millis(20);
    config
}

struct Member {
    hotkey: Hotkey,
    permit: bool,
    stake_rao: u64,
    axon: Option<SocketAddr>,
}

fn graph(block: u64, members: &[Member]) -> Metagraph {
    let neurons = members
        .iter()
        .enumerate()
        .map(|(uid, m)| {
            let mut n = Neuron::new(uid as u16, m.hotkey, Keypair::generate().hotkey())
                .with_stake_rao(m.stake_rao);
            n.validator_permit = m.permit;
            n.axon = m.axon.map(|a| AxonInfo::axonite(a.ip(), a.port()));
            n
        })
        .collect();
    Metagraph::new(NETUID, block, [0; 32], neurons, Hyperparameters::default())
}

async fn miner(keypair: Keypair, source: &StaticSource, listen: SocketAddr) -> Miner {
    Miner::builder(keypair)
        .netuid(NETUID)
        .listen(listen)
        .metagraph(source.clone(), fast())
        .handler::<Echo, _>(EchoMiner)
        .start()
        .await
        .expect("miner starts")
}

async fn validator(keypair: Keypair, source: &StaticSource) -> Validator {
    Validator::builder(keypair)
        .netuid(NETUID)
        .bind(axonite_e2e::loopback())
        .metagraph(source.clone(), fast())
        .start()
        .await
        .expect("validator starts")
}

/// Reserves a loopback UDP port for a miner that starts later.
fn free_port() -> SocketAddr {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("a free loopback port")
}

#[tokio::test]
async fn a_validator_finds_miners_in_the_metagraph_and_only_permitted_validators_get_in() {
    bounded(30, async {
        let (m1, m2) = (Keypair::generate(), Keypair::generate());
        let (v, unpermitted) = (Keypair::generate(), Keypair::generate());
        let (a1, a2) = (free_port(), free_port());
        let source = StaticSource::new(graph(
            1,
            &[
                Member { hotkey: v.hotkey(), permit: true, stake_rao: 5_000_000_000_000, axon: None },
                Member { hotkey: unpermitted.hotkey(), permit: false, stake_rao: 1_000_000_000, axon: None },
                Member { hotkey: m1.hotkey(), permit: false, stake_rao: 0, axon: Some(a1) },
                Member { hotkey: m2.hotkey(), permit: false, stake_rao: 0, axon: Some(a2) },
            ],
        ));
        let miner1 = miner(m1, &source, a1).await;
        let miner2 = miner(m2, &source, a2).await;
        let validator = validator(v.clone(), &source).await;

        // Discovery from the metagraph alone; the pool dials them without being asked.
        eventually("validator sees both miners", || validator.miners().len() == 2).await;
        eventually("pool connected both", || validator.connection_count() == 2).await;
        let results = validator.query_many(&validator.miners(), &ping(), Duration::from_secs(5)).await;
        assert!(results.iter().all(|r| r.status() == StatusCode::OK), "{results:?}");

        // A registered validator without a permit, and a stranger, are refused.
        let no_permit = Validator::builder(unpermitted)
            .netuid(NETUID)
            .bind("127.0.0.1:0".parse().unwrap())
            .start()
            .await
            .unwrap();
        let refused = no_permit.query_with_timeout(&miner1.peer(), &ping(), Duration::from_secs(5)).await;
        assert!(
            matches!(&refused.outcome, Err(QueryError::Handshake(f)) if f.to_string().contains("no validator permit")),
            "{:?}",
            refused.outcome
        );
        let stranger = Validator::builder(Keypair::generate())
            .netuid(NETUID)
            .bind("127.0.0.1:0".parse().unwrap())
            .start()
            .await
            .unwrap();
        let refused = stranger.query_with_timeout(&miner1.peer(), &ping(), Duration::from_secs(5)).await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);

        for v in [validator, no_permit, stranger] {
            v.shutdown().await;
        }
        miner1.shutdown(Duration::from_secs(1)).await;
        miner2.shutdown(Duration::from_secs(1)).await;
    })
    .await;
}

#[tokio::test]
async fn the_pool_drops_deregistered_miners_and_follows_a_miner_that_moved() {
    bounded(30, async {
        let (m1, m2, v) = (
            Keypair::generate(),
            Keypair::generate(),
            Keypair::generate(),
        );
        let (a1, a2) = (free_port(), free_port());
        let validator_member = || Member {
            hotkey: v.hotkey(),
            permit: true,
            stake_rao: 1,
            axon: None,
        };
        let source = StaticSource::new(graph(
            1,
            &[
                validator_member(),
                Member {
                    hotkey: m1.hotkey(),
                    permit: false,
                    stake_rao: 0,
                    axon: Some(a1),
                },
                Member {
                    hotkey: m2.hotkey(),
                    permit: false,
                    stake_rao: 0,
                    axon: Some(a2),
                },
            ],
        ));
        let miner1 = miner(m1.clone(), &source, a1).await;
        let miner2 = miner(m2.clone(), &source, a2).await;
        let validator = validator(v.clone(), &source).await;
        eventually("pool connected both", || validator.connection_count() == 2).await;

        // m2 deregisters: the pool drops its connection.
        source.set(graph(
            2,
            &[
                validator_member(),
                Member {
                    hotkey: m1.hotkey(),
                    permit: false,
                    stake_rao: 0,
                    axon: Some(a1),
                },
            ],
        ));
        eventually("pool dropped the deregistered miner", || {
            validator.connection_count() == 1
        })
        .await;
        assert_eq!(validator.miners(), vec![miner1.peer()]);

        // m1 moves to a new port (a new process there): the pool reconnects to the new address.
        let a1_new = free_port();
        let moved = miner(m1.clone(), &source, a1_new).await;
        source.set(graph(
            3,
            &[
                validator_member(),
                Member {
                    hotkey: m1.hotkey(),
                    permit: false,
                    stake_rao: 0,
                    axon: Some(a1_new),
                },
            ],
        ));
        eventually("new miner process authenticated the validator", || {
            moved.stats().handshakes_ok == 1
        })
        .await;
        let peer = validator.miners()[0];
        assert_eq!(peer.addr, a1_new);
        let answer = validator
            .query_with_timeout(&peer, &ping(), Duration::from_secs(5))
            .await;
        assert_eq!(answer.status(), StatusCode::OK);

        validator.shutdown().await;
        for m in [miner1, miner2, moved] {
            m.shutdown(Duration::from_secs(1)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn a_validators_rate_tier_follows_its_stake_and_losing_its_permit_closes_its_connection() {
    bounded(30, async {
        let (m, v) = (Keypair::generate(), Keypair::generate());
        let member = |permit: bool, tao: u64| Member {
            hotkey: v.hotkey(),
            permit,
            stake_rao: tao * 1_000_000_000,
            axon: None,
        };
        let source = StaticSource::new(graph(1, &[member(true, 10)]));
        let limits = RateLimitConfig {
            tiers: vec![
                StakeTier {
                    min_stake: 0.0,
                    quota: Quota::new(1, 3),
                },
                StakeTier {
                    min_stake: 1_000.0,
                    quota: Quota::new(10_000, 10_000),
                },
            ],
            global: None,
            sweep_interval: Duration::from_secs(1),
            disconnect_after: None,
        };
        let miner = Miner::builder(m)
            .netuid(NETUID)
            .listen(loopback())
            .metagraph(source.clone(), fast())
            .rate_limits(limits)
            .handler::<Echo, _>(EchoMiner)
            .start()
            .await
            .expect("miner starts");
        let graph_at = |block| {
            let handle = miner.metagraph().expect("the miner follows a metagraph");
            handle.wait_for_block(block, Duration::from_secs(5))
        };
        graph_at(1).await.expect("first snapshot");
        let validator = validator_with(v.clone()).await;
        let peer = miner.peer();
        let served = |n: usize| {
            let (validator, peer) = (&validator, peer);
            async move {
                let mut ok = 0;
                for _ in 0..n {
                    let r = validator
                        .query_with_timeout(&peer, &ping(), Duration::from_secs(5))
                        .await;
                    ok += usize::from(r.status() == StatusCode::OK);
                }
                ok
            }
        };

        // 10 TAO: the low tier's burst of 3 (and maybe one refill).
        let low = served(10).await;
        assert!((3..=4).contains(&low), "served {low} of 10 on the low tier");

        // The stake grows past the high tier: the same connection gets the high tier.
        source.set(graph(2, &[member(true, 50_000)]));
        graph_at(2).await.expect("second snapshot");
        assert_eq!(served(20).await, 20);
        assert_eq!(miner.stats().handshakes_ok, 1, "no reconnect was needed");

        // The permit is lost: the connection is closed with the reason, and a new one is
        // refused at the handshake.
        source.set(graph(3, &[member(false, 50_000)]));
        graph_at(3).await.expect("third snapshot");
        let refused = validator
            .query_with_timeout(&peer, &ping(), Duration::from_secs(5))
            .await;
        let error = refused
            .outcome
            .expect_err("a revoked validator is not served");
        assert!(error.to_string().contains("revoked"), "{error}");
        assert_eq!(miner.stats().revoked, 1);
        let again = validator
            .query_with_timeout(&peer, &ping(), Duration::from_secs(5))
            .await;
        assert!(
            matches!(
                again.outcome,
                Err(QueryError::Handshake(_) | QueryError::Unreachable(_))
            ),
            "{:?}",
            again.outcome.err()
        );
        assert_eq!(miner.stats().handshakes_ok, 1);

        validator.shutdown().await;
        miner.shutdown(Duration::from_secs(1)).await;
    })
    .await;
}
