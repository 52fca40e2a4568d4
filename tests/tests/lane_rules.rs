//! A raw lane's rules, from a peer that speaks the frames itself: refusals (unknown synapse,
//! a body over the synapse's limit, a rate limit) are answered on the lane, which keeps
//! serving; a peer that breaks the lane's own rules (a body over `LANE_MAX_BODY`, a malformed
//! frame, a request whose body never comes) loses the lane, never the connection.

use std::collections::HashMap;
use std::time::Duration;

use axonite::Keypair;
use axonite::protocol::codec::encode_frame;
use axonite::protocol::{FrameHeader, FrameType, LANE_MAX_BODY, RequestHead, StatusCode};
use axonite_actors::rate_limit::{Quota, RateLimitConfig, StakeTier};
use axonite_e2e::raw::{RawConnection, RawLane};
use axonite_e2e::synapses::{Small, SmallMiner};
use axonite_e2e::{assert_lanes, bounded, echo_encoded_as, echo_miner, miner_builder, ping};
use axonite_examples::echo::{Echo, EchoMiner, EchoReply, Words};
use serde::Serialize;
use tokio::time::Instant;

/// Sends `request` as request `id` on `lane` and reads the next answer, asserting it is the
/// answer to `id` with `status`.
async fn lane_exchange<T: Serialize>(
    lane: &mut RawLane,
    synapse: &str,
    id: u64,
    request: &T,
    status: StatusCode,
) -> axonite_e2e::raw::RawLaneAnswer {
    lane.send_typed(synapse, id, 5_000, request)
        .await
        .expect("request is written on the lane");
    let answer = lane.read_answer().await.expect("lane answers");
    assert_eq!(answer.request_id, id, "{answer:?}");
    assert_eq!(answer.status, status, "{synapse} #{id}: {answer:?}");
    answer
}

/// Asserts that a ping on `lane`, as request `id`, is echoed.
async fn lane_pings(lane: &mut RawLane, id: u64) {
    let answer = lane_exchange(lane, "Echo", id, &ping(), StatusCode::OK).await;
    assert_eq!(answer.decode::<EchoReply>().payload, b"ping");
}

/// Asserts that `raw` still gets an echo answered on a stream of its own and on a new lane.
async fn connection_still_serves(raw: &RawConnection) {
    let reply = raw.request_typed("Echo", 5_000, &ping()).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.decode::<EchoReply>().payload, b"ping");
    let mut lane = raw.open_lane().await;
    lane_pings(&mut lane, 1).await;
}

/// Asserts that the miner reset `lane` (and stopped reading it).
async fn expect_lane_reset(lane: &mut RawLane, what: &str) {
    let reset = lane.reset_code().await;
    assert!(
        reset.is_some(),
        "{what}: the lane was not reset ({reset:?})"
    );
    let stopped = lane.stopped_code().await;
    assert!(stopped.is_some(), "{what}: the lane was not stopped");
}

#[tokio::test]
async fn refusals_on_a_lane_are_answered_there_and_the_lane_keeps_serving() {
    bounded(30, async {
        let miner = miner_builder()
            .handler::<Echo, _>(EchoMiner)
            .stream_handler::<Words, _>(EchoMiner)
            .handler::<Small, _>(SmallMiner)
            .start()
            .await
            .unwrap();
        let raw = RawConnection::authenticated(&miner, &Keypair::generate()).await;
        let mut lane = raw.open_lane().await;

        // One refusal after another, each followed by a request that is served.
        lane_exchange(&mut lane, "Missing", 1, &ping(), StatusCode::NOT_FOUND).await;
        lane_pings(&mut lane, 2).await;
        let too_big = Small {
            data: vec![7; 2048],
        };
        let answer = lane_exchange(
            &mut lane,
            "Small",
            3,
            &too_big,
            StatusCode::PAYLOAD_TOO_LARGE,
        )
        .await;
        assert!(answer.message.contains("1024"), "{answer:?}");
        let fits = Small { data: vec![7; 512] };
        let answer = lane_exchange(&mut lane, "Small", 4, &fits, StatusCode::OK).await;
        assert_eq!(answer.decode::<u64>(), 512);
        let words = Words { text: "a b".into() };
        lane_exchange(&mut lane, "Words", 5, &words, StatusCode::BAD_REQUEST).await;
        lane_pings(&mut lane, 6).await;
        // An undecodable body is the request's problem, not the lane's.
        lane.send("Echo", 7, 5_000, &[0xc1, 0xc1]).await.unwrap();
        let answer = lane.read_answer().await.unwrap();
        assert_eq!(
            (answer.request_id, answer.status),
            (7, StatusCode::BAD_REQUEST)
        );
        lane_pings(&mut lane, 8).await;

        // The same refusals pipelined: each answer names its request.
        lane.send_typed("Missing", 20, 5_000, &ping())
            .await
            .unwrap();
        lane.send_typed("Small", 21, 5_000, &too_big).await.unwrap();
        lane.send_typed("Words", 22, 5_000, &words).await.unwrap();
        lane.send_typed("Echo", 23, 5_000, &ping()).await.unwrap();
        let statuses: HashMap<u64, StatusCode> = lane
            .read_answers(4)
            .await
            .into_iter()
            .map(|a| (a.request_id, a.status))
            .collect();
        assert_eq!(
            statuses,
            HashMap::from([
                (20, StatusCode::NOT_FOUND),
                (21, StatusCode::PAYLOAD_TOO_LARGE),
                (22, StatusCode::BAD_REQUEST),
                (23, StatusCode::OK),
            ])
        );

        let stats = assert_lanes(&miner, 1, 0);
        assert_eq!(stats.unrouted.not_found, 2, "{stats:?}");
        assert_eq!(stats.requests["Small"].too_large, 2, "{stats:?}");
        assert_eq!(stats.requests["Words"].bad_request, 2, "{stats:?}");
        assert_eq!(stats.requests["Echo"].ok, 4, "{stats:?}");
        raw.close().await;
        miner.shutdown(Duration::from_secs(1)).await;
    })
    .await;
}

#[tokio::test]
async fn a_rate_limited_request_on_a_lane_is_429_and_the_lane_keeps_serving() {
    bounded(30, async {
        let limits = RateLimitConfig {
            tiers: vec![StakeTier {
                min_stake: 0.0,
                quota: Quota::new(1, 2),
            }],
            global: None,
            sweep_interval: Duration::from_secs(60),
            disconnect_after: None,
        };
        let miner = miner_builder()
            .rate_limits(limits)
            .handler::<Echo, _>(EchoMiner)
            .start()
            .await
            .unwrap();
        let raw = RawConnection::authenticated(&miner, &Keypair::generate()).await;
        let mut lane = raw.open_lane().await;
        // The burst of 2, then a refusal.
        lane_pings(&mut lane, 1).await;
        lane_pings(&mut lane, 2).await;
        lane_exchange(&mut lane, "Echo", 3, &ping(), StatusCode::RATE_LIMITED).await;
        // The quota refills one per second: the same lane is served again.
        let mut id = 4;
        loop {
            lane.send_typed("Echo", id, 5_000, &ping()).await.unwrap();
            let answer = lane.read_answer().await.expect("lane answers");
            assert_eq!(answer.request_id, id);
            if answer.status == StatusCode::OK {
                assert_eq!(answer.decode::<EchoReply>().payload, b"ping");
                break;
            }
            assert_eq!(answer.status, StatusCode::RATE_LIMITED, "{answer:?}");
            assert!(id < 40, "never served again on the lane");
            id += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let stats = assert_lanes(&miner, 1, 0);
        assert!(stats.rate_limited >= 1, "{stats:?}");
        assert_eq!(stats.requests["Echo"].ok, 3, "{stats:?}");
        assert_eq!(stats.active_connections, 1);
        raw.close().await;
        miner.shutdown(Duration::from_secs(1)).await;
    })
    .await;
}

#[tokio::test]
async fn a_body_over_lane_max_body_resets_the_lane_and_the_connection_keeps_serving() {
    bounded(30, async {
        let miner = echo_miner().await;
        let raw = RawConnection::authenticated(&miner, &Keypair::generate()).await;
        let mut lane = raw.open_lane().await;
        // Exactly LANE_MAX_BODY is allowed on a lane.
        let largest = echo_encoded_as(LANE_MAX_BODY);
        let answer = lane_exchange(&mut lane, "Echo", 1, &largest, StatusCode::OK).await;
        assert_eq!(answer.decode::<EchoReply>().payload, largest.payload);
        assert_eq!(miner.stats().lanes_broken, 0);

        // One byte more is announced (and partly sent).
        lane.send_head("Echo", 2, 5_000).await.unwrap();
        let mut bytes = FrameHeader::encode(FrameType::Body, (LANE_MAX_BODY + 1) as u32).to_vec();
        bytes.extend_from_slice(&[0x90; 1024]);
        let _ = lane.send_raw(&bytes).await;
        expect_lane_reset(&mut lane, "body over LANE_MAX_BODY").await;
        assert_lanes(&miner, 1, 1);

        connection_still_serves(&raw).await;
        let stats = assert_lanes(&miner, 2, 1);
        assert_eq!(stats.active_connections, 1);
        assert_eq!(stats.handshakes_ok, 1);
        raw.close().await;
        miner.shutdown(Duration::from_secs(1)).await;
    })
    .await;
}

#[tokio::test]
async fn a_malformed_lane_frame_resets_the_lane_and_the_connection_keeps_serving() {
    bounded(30, async {
        let miner = echo_miner().await;
        let raw = RawConnection::authenticated(&miner, &Keypair::generate()).await;
        let mut garbage_head = FrameHeader::encode(FrameType::LaneRequestHead, 4).to_vec();
        garbage_head.extend_from_slice(&[0xc1; 4]);
        // A well-formed head of the wrong kind: a lane carries only lane request heads.
        let plain_head = encode_frame(
            FrameType::RequestHead,
            &RequestHead {
                synapse: "Echo".into(),
                request_id: 9,
                timeout_ms: 5_000,
            },
        )
        .unwrap();
        let unknown_type = vec![0x42, 0, 0, 0, 1, 0];

        let cases = [
            (
                "garbage head as the lane's first frame",
                false,
                &garbage_head,
            ),
            ("garbage head after a request", true, &garbage_head),
            ("request head on a lane", true, &plain_head),
            ("unknown frame type on a lane", true, &unknown_type),
        ];
        for (n, (what, after_request, bytes)) in cases.into_iter().enumerate() {
            let mut lane = raw.open_lane().await;
            if after_request {
                lane_pings(&mut lane, 1).await;
            }
            let _ = lane.send_raw(bytes).await;
            expect_lane_reset(&mut lane, what).await;
            let stats = miner.stats();
            assert_eq!(stats.lanes_broken, n as u64 + 1, "{what}: {stats:?}");
            connection_still_serves(&raw).await;
        }
        let stats = assert_lanes(&miner, 8, 4);
        assert_eq!(stats.active_connections, 1);
        raw.close().await;
        miner.shutdown(Duration::from_secs(1)).await;
    })
    .await;
}

#[tokio::test]
async fn a_lane_request_whose_body_never_arrives_resets_the_lane_after_the_read_timeout() {
    bounded(30, async {
        let read_timeout = Duration::from_millis(300);
        let miner = miner_builder()
            .configure(|c| c.request_read_timeout = read_timeout)
            .handler::<Echo, _>(EchoMiner)
            .start()
            .await
            .unwrap();
        let raw = RawConnection::authenticated(&miner, &Keypair::generate()).await;

        // A lane idle between requests for longer than the read timeout is not broken.
        let mut lane = raw.open_lane().await;
        lane_pings(&mut lane, 1).await;
        tokio::time::sleep(read_timeout * 2).await;
        lane_pings(&mut lane, 2).await;
        assert_eq!(miner.stats().lanes_broken, 0);

        // A head, and then nothing.
        let started = Instant::now();
        lane.send_head("Echo", 3, 5_000).await.unwrap();
        expect_lane_reset(&mut lane, "head without body").await;
        assert!(
            started.elapsed() >= read_timeout - Duration::from_millis(50),
            "reset before the read timeout: {:?}",
            started.elapsed()
        );
        assert_eq!(miner.stats().lanes_broken, 1);

        // Half a body, and then nothing.
        let mut lane = raw.open_lane().await;
        lane_pings(&mut lane, 1).await;
        lane.send_head("Echo", 2, 5_000).await.unwrap();
        let mut half = FrameHeader::encode(FrameType::Body, 100).to_vec();
        half.extend_from_slice(&[0x90; 50]);
        lane.send_raw(&half).await.unwrap();
        expect_lane_reset(&mut lane, "half a body").await;
        assert_eq!(miner.stats().lanes_broken, 2);

        connection_still_serves(&raw).await;
        let stats = assert_lanes(&miner, 3, 2);
        assert_eq!(stats.active_connections, 1);
        raw.close().await;
        miner.shutdown(Duration::from_secs(1)).await;
    })
    .await;
}
