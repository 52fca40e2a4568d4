//! Rate limits over real QUIC: a flooding low-stake validator is refused 429 while a
//! high-stake validator keeps being served, and idle keys are swept.

use std::time::Duration;

use axonite::directory::{StaticDirectory, ValidatorInfo};
use axonite::protocol::CloseCode;
use axonite::{Keypair, StatusCode};
use axonite_actors::rate_limit::{Quota, RateLimitConfig, StakeTier};
use axonite_e2e::raw::{RawConnection, eventually};
use axonite_e2e::{bounded, miner_builder, validator_with};
use axonite_examples::echo::{Echo, EchoMiner};

fn ping() -> Echo {
    Echo {
        payload: b"ping".to_vec(),
    }
}

#[tokio::test]
async fn a_flooding_low_stake_validator_gets_429_while_a_high_stake_one_is_served() {
    bounded(60, async {
        let (low, high) = (Keypair::generate(), Keypair::generate());
        let directory = StaticDirectory::new([
            (low.hotkey(), ValidatorInfo::new(0, 10.0, true)),
            (high.hotkey(), ValidatorInfo::new(1, 50_000.0, true)),
        ]);
        let limits = RateLimitConfig {
            tiers: vec![
                // Low stake: 5 at once, then 1 per second.
                StakeTier {
                    min_stake: 0.0,
                    quota: Quota::new(1, 5),
                },
                StakeTier {
                    min_stake: 10_000.0,
                    quota: Quota::new(10_000, 10_000),
                },
            ],
            global: None,
            sweep_interval: Duration::from_millis(50),
            disconnect_after: None,
        };
        let miner = miner_builder()
            .directory(directory)
            .rate_limits(limits)
            .handler::<Echo, _>(EchoMiner)
            .start()
            .await
            .unwrap();
        let (low_v, high_v) = (validator_with(low).await, validator_with(high).await);

        // Both send 50 requests, interleaved: 10x the low validator's burst.
        let (peer, request) = (miner.peer(), ping());
        let (mut low_ok, mut low_429, mut high_ok) = (0, 0, 0);
        for _ in 0..50 {
            let (l, h) = tokio::join!(
                low_v.query_with_timeout(&peer, &request, Duration::from_secs(5)),
                high_v.query_with_timeout(&peer, &request, Duration::from_secs(5)),
            );
            match l.status() {
                StatusCode::OK => low_ok += 1,
                StatusCode::RATE_LIMITED => low_429 += 1,
                other => panic!("unexpected status for the low-stake validator: {other}"),
            }
            if h.status() == StatusCode::OK {
                high_ok += 1;
            }
        }
        // The burst of 5, plus at most one refill per second the loop took.
        assert!(
            (5..=15).contains(&low_ok),
            "low-stake validator served {low_ok} times"
        );
        assert_eq!(low_ok + low_429, 50);
        assert_eq!(high_ok, 50, "the high-stake validator is never limited");
        let stats = miner.stats();
        assert_eq!(stats.rate_limited, low_429 as u64);
        // The same refusals, counted by synapse and status.
        let echo = stats.requests["Echo"];
        assert_eq!(echo.rate_limited, low_429 as u64);
        assert_eq!(echo.ok, (low_ok + high_ok) as u64);
        assert_eq!(echo.total(), 100);

        // Once traffic stops, the limiter forgets both keys.
        eventually("idle keys are swept", || miner.stats().rate_limit_keys <= 1).await;

        low_v.shutdown().await;
        high_v.shutdown().await;
        miner.shutdown(Duration::from_secs(1)).await;
    })
    .await;
}

#[tokio::test]
async fn a_connection_that_keeps_flooding_past_its_429s_is_closed() {
    bounded(30, async {
        let limits = RateLimitConfig {
            tiers: vec![StakeTier {
                min_stake: 0.0,
                quota: Quota::new(1, 2),
            }],
            global: None,
            sweep_interval: Duration::from_secs(60),
            disconnect_after: Some(10),
        };
        let miner = miner_builder()
            .rate_limits(limits)
            .handler::<Echo, _>(EchoMiner)
            .start()
            .await
            .unwrap();
        let raw = RawConnection::authenticated(&miner, &Keypair::generate()).await;
        let mut statuses = Vec::new();
        for _ in 0..12 {
            statuses.push(raw.request_typed("Echo", 5_000, &ping()).await.status);
        }
        // The burst of 2, then 10 refusals in a row (and maybe one refill).
        assert_eq!(statuses[..2], [StatusCode::OK; 2]);
        let refused = statuses
            .iter()
            .filter(|s| **s == StatusCode::RATE_LIMITED)
            .count();
        assert!(refused >= 9, "{statuses:?}");
        raw.expect_closed_with(CloseCode::RateLimited).await;
        assert_eq!(miner.stats().disconnected_rate_limited, 1);

        // Another validator is not affected.
        let other = RawConnection::authenticated(&miner, &Keypair::generate()).await;
        assert_eq!(
            other.request_typed("Echo", 5_000, &ping()).await.status,
            StatusCode::OK
        );
        other.close().await;
        miner.shutdown(Duration::from_secs(1)).await;
    })
    .await;
}
