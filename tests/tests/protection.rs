//! Pre-authentication protection over real QUIC on loopback: floods of connections that never
//! authenticate, connection floods from one address, address validation under load, and a
//! request stream that trickles in.

use std::net::IpAddr;
use std::time::Duration;

use axonite::protocol::{FrameHeader, FrameType};
use axonite::transport::{SERVER_NAME, TransportSettings};
use axonite::{Keypair, StatusCode};
use axonite_actors::Miner;
use axonite_actors::rate_limit::Quota;
use axonite_e2e::raw::{RawConnection, client_endpoint_at, eventually, read_response};
use axonite_e2e::{bounded, miner_builder, ping, validator};
use axonite_examples::echo::{Echo, EchoMiner};
use tokio::task::JoinSet;

/// A validator can still connect and be served.
async fn a_validator_is_served(miner: &Miner) {
    let validator = validator().await;
    let reply = validator
        .query_with_timeout(&miner.peer(), &ping(), Duration::from_secs(10))
        .await;
    assert_eq!(reply.status(), StatusCode::OK, "{:?}", reply.outcome.err());
    validator.shutdown().await;
}

fn client_settings(idle: Duration) -> TransportSettings {
    TransportSettings {
        idle_timeout: idle,
        ..TransportSettings::default()
    }
}

#[tokio::test]
async fn a_thousand_connections_that_never_handshake_do_not_keep_a_validator_out() {
    bounded(120, async {
        // A long handshake deadline keeps the idle connections pending throughout the test.
        let miner = miner_builder()
            .configure(|c| c.handshake_timeout = Duration::from_secs(60))
            .handler::<Echo, _>(EchoMiner)
            .start()
            .await
            .unwrap();
        let addr = miner.local_addr();

        // 125 source addresses x 8 connections: within the per-IP caps, 1,000 in all. Each
        // completes TLS and then says nothing. Dialled 50 at a time: the point is 1,000 idle
        // connections held, not a burst of TLS handshakes.
        let endpoints: Vec<quinn::Endpoint> = (0..125u8)
            .map(|i| {
                let ip = IpAddr::from([127, 0, 1, i + 1]);
                client_endpoint_at(ip, &client_settings(Duration::from_secs(60)))
            })
            .collect();
        let mut idle = Vec::new();
        let dials: Vec<&quinn::Endpoint> = endpoints.iter().cycle().take(1_000).collect();
        for batch in dials.chunks(50) {
            let mut dialling = JoinSet::new();
            for endpoint in batch {
                dialling.spawn(endpoint.connect(addr, SERVER_NAME).unwrap());
            }
            for dialled in dialling.join_all().await {
                match dialled {
                    Ok(c) => idle.push(c),
                    Err(e) => panic!("a dial failed: {e}; {:?}", miner.stats()),
                }
            }
        }
        assert_eq!(idle.len(), 1_000);
        eventually("every idle connection is pending", || {
            miner.stats().pending_handshakes == 1_000
        })
        .await;

        a_validator_is_served(&miner).await;
        let stats = miner.stats();
        assert_eq!(stats.handshakes_ok, 1);
        assert_eq!(stats.refused_busy, 0);
        assert!(idle.iter().all(|c| c.close_reason().is_none()));

        for c in &idle {
            c.close(0u32.into(), b"done");
        }
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}

#[tokio::test]
async fn a_connection_flood_from_one_address_is_dropped_while_others_connect() {
    bounded(60, async {
        let miner = miner_builder()
            .configure(|c| c.connection_rate_per_ip = Some(Quota::new(1, 5)))
            .handler::<Echo, _>(EchoMiner)
            .start()
            .await
            .unwrap();

        // 30 dials at once from one address: its burst of 5 gets through, the rest are
        // dropped unanswered (the dialler times out).
        let flooder = client_endpoint_at(
            IpAddr::from([127, 0, 2, 1]),
            &client_settings(Duration::from_secs(1)),
        );
        let mut dials = JoinSet::new();
        for _ in 0..30 {
            dials.spawn(flooder.connect(miner.local_addr(), SERVER_NAME).unwrap());
        }
        let outcomes = dials.join_all().await;
        let connected = outcomes.iter().filter(|c| c.is_ok()).count();
        assert!(
            (5..=7).contains(&connected),
            "{connected} dials got through"
        );
        assert!(
            outcomes
                .iter()
                .filter_map(|c| c.as_ref().err())
                .all(|e| matches!(e, quinn::ConnectionError::TimedOut)),
            "dropped dials see no answer"
        );
        // Each dropped dial is counted, and again for every Initial it retransmits.
        assert!(miner.stats().refused_rate as usize >= 30 - connected);

        // Other addresses are not affected.
        a_validator_is_served(&miner).await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}

#[tokio::test]
async fn with_address_validation_on_validators_prove_their_address_and_connect() {
    bounded(30, async {
        let miner = miner_builder()
            .configure(|c| c.validate_addresses_above = 0)
            .handler::<Echo, _>(EchoMiner)
            .start()
            .await
            .unwrap();
        a_validator_is_served(&miner).await;
        a_validator_is_served(&miner).await;
        assert_eq!(miner.stats().address_validations, 2);
        assert_eq!(miner.stats().handshakes_ok, 2);
        miner.shutdown(Duration::from_secs(2)).await;

        // Off (the default): no Retry.
        let miner = miner_builder()
            .handler::<Echo, _>(EchoMiner)
            .start()
            .await
            .unwrap();
        a_validator_is_served(&miner).await;
        assert_eq!(miner.stats().address_validations, 0);
        assert_eq!(miner.stats().handshakes_ok, 1);
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}

#[tokio::test]
async fn a_stream_sending_one_byte_per_second_is_cut_at_its_read_deadline() {
    bounded(30, async {
        let miner = miner_builder()
            .configure(|c| c.request_read_timeout = Duration::from_secs(2))
            .handler::<Echo, _>(EchoMiner)
            .start()
            .await
            .unwrap();
        let raw = RawConnection::authenticated(&miner, &Keypair::generate()).await;

        // A body of 64 bytes, sent one byte per second: it would take a minute.
        let (mut send, mut recv) = raw.open_request("Echo", 60_000).await;
        send.write_all(&FrameHeader::encode(FrameType::Body, 64))
            .await
            .unwrap();
        let trickle = async {
            loop {
                if send.write_all(&[0x90]).await.is_err() {
                    // Stopped by the miner: keep quiet until the answer is read.
                    std::future::pending::<()>().await;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        };
        let reply = tokio::select! {
            reply = read_response(&mut recv) => reply,
            () = trickle => unreachable!(),
        };
        assert_eq!(reply.status, StatusCode::TIMEOUT, "{reply:?}");
        assert!(reply.message.contains("not received in time"), "{reply:?}");
        assert!(matches!(send.stopped().await, Ok(Some(_))));
        assert_eq!(miner.stats().requests["Echo"].timeout, 1);

        // The connection is fine: the next request is served.
        let reply = raw.request_typed("Echo", 5_000, &ping()).await;
        assert_eq!(reply.status, StatusCode::OK);
        raw.close().await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}
