//! The miner's Prometheus endpoint, scraped over real TCP after real QUIC traffic.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use axonite::directory::{StaticDirectory, ValidatorInfo};
use axonite::{Keypair, StatusCode, Synapse};
use axonite_actors::rate_limit::{Quota, RateLimitConfig, StakeTier};
use axonite_e2e::raw::RawConnection;
use axonite_e2e::{bounded, miner_builder, validator_with};
use axonite_examples::echo::{Echo, EchoMiner};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Serialize, Deserialize)]
struct Missing {
    x: u8,
}

impl Synapse for Missing {
    const NAME: &'static str = "Missing";
    type Response = Missing;
}

/// Sends `request` verbatim and returns the status line and body of the answer.
async fn http(addr: SocketAddr, request: &str) -> (String, String) {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("metrics endpoint accepts");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("request is sent");
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .await
        .expect("answer is read");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
    let status = head.lines().next().unwrap_or_default().to_owned();
    (status, body.to_owned())
}

/// Sample lines as `name{labels}` -> value.
fn samples(page: &str) -> HashMap<String, f64> {
    page.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (key, value) = l.rsplit_once(' ').expect("a sample has a value");
            let value = if value == "+Inf" {
                f64::INFINITY
            } else {
                value.parse().expect("a sample value is a number")
            };
            (key.to_owned(), value)
        })
        .collect()
}

#[tokio::test]
async fn the_metrics_endpoint_serves_requests_latency_connections_and_refusals() {
    bounded(60, async {
        let validator_key = Keypair::generate();
        let directory =
            StaticDirectory::new([(validator_key.hotkey(), ValidatorInfo::new(0, 1.0, true))]);
        let limits = RateLimitConfig {
            tiers: vec![StakeTier {
                min_stake: 0.0,
                quota: Quota::new(1, 5),
            }],
            global: None,
            sweep_interval: Duration::from_secs(60),
            disconnect_after: None,
        };
        let miner = miner_builder()
            .directory(directory)
            .rate_limits(limits)
            .metrics("127.0.0.1:0".parse().unwrap())
            .handler::<Echo, _>(EchoMiner)
            .start()
            .await
            .unwrap();
        let addr = miner.metrics_addr().expect("metrics are on");
        assert!(addr.ip().is_loopback());

        // 8 echoes on a burst of 5 (and maybe one refill): 5 or 6 served, the rest 429.
        let validator = validator_with(validator_key).await;
        let peer = miner.peer();
        let echo = Echo {
            payload: b"ping".to_vec(),
        };
        let mut ok = 0;
        for _ in 0..8 {
            let r = validator
                .query_with_timeout(&peer, &echo, Duration::from_secs(5))
                .await;
            ok += u64::from(r.status() == StatusCode::OK);
        }
        let missing = validator
            .query_with_timeout(&peer, &Missing { x: 1 }, Duration::from_secs(5))
            .await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        // A handshake signed by the wrong key is refused.
        let raw = RawConnection::connect(miner.local_addr()).await.unwrap();
        let mut forged = raw.handshake_request(&Keypair::generate(), miner.hotkey());
        forged.validator = Keypair::generate().hotkey();
        assert!(raw.handshake(&forged).await.is_err());

        let (status, page) = http(addr, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert_eq!(status, "HTTP/1.1 200 OK");
        let s = samples(&page);
        let get = |key: &str| {
            *s.get(key)
                .unwrap_or_else(|| panic!("{key} missing:\n{page}"))
        };
        assert!((5..=6).contains(&ok), "{ok} served");
        assert_eq!(
            get(r#"axonite_requests_total{synapse="Echo",status="200"}"#),
            ok as f64
        );
        assert_eq!(
            get(r#"axonite_requests_total{synapse="Echo",status="429"}"#),
            (8 - ok) as f64
        );
        assert_eq!(
            get(r#"axonite_requests_total{synapse="",status="404"}"#),
            1.0
        );
        assert_eq!(
            get(r#"axonite_request_duration_seconds_count{synapse="Echo"}"#),
            8.0
        );
        assert_eq!(
            get(r#"axonite_request_duration_seconds_bucket{synapse="Echo",le="+Inf"}"#),
            8.0
        );
        assert!(get(r#"axonite_request_duration_seconds_sum{synapse="Echo"}"#) > 0.0);
        assert_eq!(get("axonite_connections_active"), 1.0);
        assert_eq!(get(r#"axonite_handshakes_total{outcome="ok"}"#), 1.0);
        assert_eq!(get(r#"axonite_handshakes_total{outcome="refused"}"#), 1.0);
        assert_eq!(
            get(r#"axonite_rate_limited_total{limit="caller"}"#),
            (8 - ok) as f64
        );
        assert_eq!(get(r#"axonite_queue_depth{synapse="Echo"}"#), 0.0);
        assert_eq!(
            get(r#"axonite_actor_restarts_total{actor="listener"}"#),
            0.0
        );
        assert_eq!(
            get(r#"axonite_actor_restarts_total{actor="handlers/Echo/workers"}"#),
            0.0
        );

        // Only GET /metrics is served.
        let (status, _) = http(addr, "GET / HTTP/1.1\r\n\r\n").await;
        assert_eq!(status, "HTTP/1.1 404 Not Found");
        let (status, _) = http(addr, "POST /metrics HTTP/1.1\r\n\r\n").await;
        assert_eq!(status, "HTTP/1.1 405 Method Not Allowed");

        raw.close().await;
        validator.shutdown().await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}

#[tokio::test]
async fn a_validator_serves_its_queries_by_synapse_and_outcome() {
    bounded(30, async {
        let miner = miner_builder()
            .handler::<Echo, _>(EchoMiner)
            .start()
            .await
            .unwrap();
        let validator = axonite_actors::Validator::builder(Keypair::generate())
            .netuid(axonite_e2e::NETUID)
            .bind(axonite_e2e::loopback())
            .metrics("127.0.0.1:0".parse().unwrap())
            .start()
            .await
            .unwrap();
        let echo = Echo {
            payload: b"ping".to_vec(),
        };
        for _ in 0..3 {
            let r = validator
                .query_with_timeout(&miner.peer(), &echo, Duration::from_secs(5))
                .await;
            assert_eq!(r.status(), StatusCode::OK);
        }
        let missing = validator
            .query_with_timeout(&miner.peer(), &Missing { x: 1 }, Duration::from_secs(5))
            .await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        let stats = validator.stats();
        assert_eq!(
            (stats.queries["Echo"].ok, stats.queries["Missing"].not_found),
            (3, 1)
        );

        let addr = validator.metrics_addr().expect("metrics are on");
        let (status, page) = http(addr, "GET /metrics HTTP/1.1\r\n\r\n").await;
        assert_eq!(status, "HTTP/1.1 200 OK");
        let s = samples(&page);
        let get = |key: &str| {
            *s.get(key)
                .unwrap_or_else(|| panic!("{key} missing:\n{page}"))
        };
        assert_eq!(
            get(r#"axonite_queries_total{synapse="Echo",status="200"}"#),
            3.0
        );
        assert_eq!(
            get(r#"axonite_queries_total{synapse="Missing",status="404"}"#),
            1.0
        );
        assert_eq!(
            get(r#"axonite_query_duration_seconds_count{synapse="Echo"}"#),
            3.0
        );
        assert_eq!(get("axonite_miner_connections"), 1.0);
        assert_eq!(get(r#"axonite_actor_restarts_total{actor="pool"}"#), 0.0);

        validator.shutdown().await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}
