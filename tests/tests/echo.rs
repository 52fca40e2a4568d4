//! Echo over real QUIC on loopback: unary round trips of several sizes, fan-out, streaming.

use std::time::Duration;

use axonite::StatusCode;
use axonite_e2e::{bounded, echo_miner, validator};
use axonite_examples::echo::{Echo, Words};

#[tokio::test]
async fn echo_round_trips_payloads_up_to_one_mebibyte() {
    bounded(30, async {
        let miner = echo_miner().await;
        let validator = validator().await;
        for size in [0usize, 1, 256, 1024, 10 * 1024, 100 * 1024, 1024 * 1024] {
            let payload: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let result = validator
                .query_with_timeout(
                    &miner.peer(),
                    &Echo {
                        payload: payload.clone(),
                    },
                    Duration::from_secs(10),
                )
                .await;
            assert_eq!(
                result.status(),
                StatusCode::OK,
                "size {size}: {:?}",
                result.outcome
            );
            let reply = result.outcome.unwrap();
            assert_eq!(reply.payload, payload, "size {size}");
            // The handler learned who called.
            assert_eq!(reply.caller, validator.hotkey().to_ss58());
            assert!(result.process_time.is_some());
        }
        // One authenticated connection served every request.
        assert_eq!(validator.connection_count(), 1);
        assert_eq!(miner.stats().handshakes_ok, 1);
        validator.shutdown().await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}

#[tokio::test]
async fn fan_out_returns_one_result_per_miner_in_order() {
    bounded(30, async {
        let mut miners = Vec::new();
        for _ in 0..4 {
            miners.push(echo_miner().await);
        }
        let peers: Vec<_> = miners.iter().map(|m| m.peer()).collect();
        let validator = validator().await;
        let results = validator
            .query_many(
                &peers,
                &Echo {
                    payload: b"ping".to_vec(),
                },
                Duration::from_secs(5),
            )
            .await;
        assert_eq!(results.len(), 4);
        for (result, peer) in results.iter().zip(&peers) {
            assert_eq!(&result.peer, peer);
            assert_eq!(
                result.response().map(|r| r.payload.as_slice()),
                Some(&b"ping"[..])
            );
        }
        validator.shutdown().await;
        for m in miners {
            m.shutdown(Duration::from_secs(1)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn streaming_synapse_delivers_every_chunk_in_order() {
    bounded(30, async {
        let miner = echo_miner().await;
        let validator = validator().await;
        let text = (0..200)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let stream = validator
            .query_stream(
                &miner.peer(),
                &Words { text: text.clone() },
                Duration::from_secs(10),
            )
            .await
            .unwrap();
        let words = stream.collect().await.unwrap();
        let expected: Vec<String> = text.split(' ').map(str::to_owned).collect();
        assert_eq!(words, expected);
        validator.shutdown().await;
        miner.shutdown(Duration::from_secs(1)).await;
    })
    .await;
}
