//! Lanes over real QUIC: a validator pipelines small unary requests on one long-lived stream
//! per miner connection, and each answer finds its own query by request id, in whatever order
//! the miner finishes them. Larger bodies and streaming synapses keep a stream of their own.
//! On a raw lane, an answer that finishes first comes back first, and an admission hook that
//! waits holds up no request behind it. Either side may have lanes switched off, and queries
//! still work. (The lane's rules against a misbehaving peer: `lane_rules.rs`.)

use std::sync::Arc;
use std::time::Duration;

use axonite::protocol::codec::{encode_body, encode_frame};
use axonite::protocol::{FrameHeader, FrameType, LANE_MAX_BODY, RequestHead, StatusCode};
use axonite::{Admission, Handler, HandlerError, Keypair, RequestContext, Synapse};
use axonite_actors::{Miner, Validator};
use axonite_e2e::raw::{RawConnection, read_response};
use axonite_e2e::{
    NETUID, assert_lanes, bounded, echo_encoded_as, echo_miner, loopback, miner_builder, ping,
    validator,
};
use axonite_examples::echo::{Echo, EchoMiner, Words};
use futures_util::future::join_all;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

/// An echo request whose payload names `i` and whose size varies with it.
fn numbered(i: usize) -> Echo {
    let mut payload = format!("payload-{i}-").into_bytes();
    payload.resize(payload.len() + (i * 37) % 700, b'a' + (i % 26) as u8);
    Echo { payload }
}

async fn validator_without_lanes() -> Validator {
    Validator::builder(Keypair::generate())
        .netuid(NETUID)
        .bind(loopback())
        .configure(|c| c.lanes = false)
        .start()
        .await
        .expect("validator starts")
}

/// `n` concurrent queries with distinct payloads, each asserted to get its own payload back.
async fn concurrent_echoes(validator: &Validator, miner: &Miner, n: usize) {
    let peer = miner.peer();
    let requests: Vec<Echo> = (0..n).map(numbered).collect();
    let results = join_all(
        requests
            .iter()
            .map(|r| validator.query_with_timeout(&peer, r, Duration::from_secs(10))),
    )
    .await;
    for (i, (request, result)) in requests.iter().zip(&results).enumerate() {
        let reply = result
            .outcome
            .as_ref()
            .unwrap_or_else(|e| panic!("query {i} failed: {e:?}"));
        assert_eq!(
            reply.payload, request.payload,
            "query {i} got another answer"
        );
    }
}

/// `n` queries one after another, each asserted to be echoed.
async fn sequential_echoes(validator: &Validator, miner: &Miner, n: usize) {
    for i in 0..n {
        let request = numbered(1_000 + i);
        let result = validator
            .query_with_timeout(&miner.peer(), &request, Duration::from_secs(5))
            .await;
        let reply = result
            .outcome
            .unwrap_or_else(|e| panic!("query {i} failed: {e:?}"));
        assert_eq!(reply.payload, request.payload);
    }
}

/// Streams the words of `text` back from `miner`.
async fn stream_words(validator: &Validator, miner: &Miner, text: &str) -> Vec<String> {
    let stream = validator
        .query_stream(
            &miner.peer(),
            &Words { text: text.into() },
            Duration::from_secs(10),
        )
        .await
        .expect("stream opens");
    stream.collect().await.expect("stream completes")
}

// === synapses defined by the tests ===

/// Answered only once the test opens the gate (or after 2 s, so a lane that answers in
/// order fails the test with a clear message instead of hanging).
#[derive(Debug, Serialize, Deserialize)]
struct Slow {
    tag: u32,
}

impl Synapse for Slow {
    const NAME: &'static str = "Slow";
    type Response = u32;
}

/// Answered at once.
#[derive(Debug, Serialize, Deserialize)]
struct Fast {
    tag: u32,
}

impl Synapse for Fast {
    const NAME: &'static str = "Fast";
    type Response = u32;
}

#[derive(Clone)]
struct GatedMiner {
    gate: Arc<Notify>,
}

impl Admission<Slow> for GatedMiner {}

impl Handler<Slow> for GatedMiner {
    async fn forward(&self, _: &RequestContext, req: Slow) -> Result<u32, HandlerError> {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.gate.notified()).await;
        Ok(req.tag)
    }
}

impl Admission<Fast> for GatedMiner {}

impl Handler<Fast> for GatedMiner {
    async fn forward(&self, _: &RequestContext, req: Fast) -> Result<u32, HandlerError> {
        Ok(req.tag)
    }
}

/// A miner serving `Slow` (held at the handler's gate) and `Fast`, and that handler.
async fn slow_and_fast_miner() -> (Miner, GatedMiner) {
    let handler = GatedMiner {
        gate: Arc::new(Notify::new()),
    };
    let miner = miner_builder()
        .handler::<Slow, _>(handler.clone())
        .handler::<Fast, _>(handler.clone())
        .start()
        .await
        .expect("miner starts");
    (miner, handler)
}

/// Its `verify` hook waits at a gate when `hold` is set: admission that cannot finish at once.
#[derive(Debug, Serialize, Deserialize)]
struct Checked {
    tag: u32,
    hold: bool,
}

impl Synapse for Checked {
    const NAME: &'static str = "Checked";
    type Response = u32;
}

impl Admission<Checked> for GatedMiner {
    async fn verify(&self, _: &RequestContext, req: &Checked) -> Result<(), String> {
        if req.hold {
            let _ = tokio::time::timeout(Duration::from_secs(2), self.gate.notified()).await;
        }
        Ok(())
    }
}

impl Handler<Checked> for GatedMiner {
    async fn forward(&self, _: &RequestContext, req: Checked) -> Result<u32, HandlerError> {
        Ok(req.tag)
    }
}

// === validator over lanes ===

#[tokio::test]
async fn concurrent_queries_share_one_lane_and_each_gets_its_own_answer() {
    bounded(30, async {
        let miner = echo_miner().await;
        let validator = validator().await;
        concurrent_echoes(&validator, &miner, 200).await;
        // And through query_many, the same request to the same peer many times.
        let peers = vec![miner.peer(); 50];
        let results = validator
            .query_many(&peers, &numbered(4_242), Duration::from_secs(10))
            .await;
        for result in &results {
            let reply = result.outcome.as_ref().expect("query_many answered");
            assert_eq!(reply.payload, numbered(4_242).payload);
        }
        let stats = miner.stats();
        assert_eq!(stats.lanes_opened, 1, "{stats:?}");
        assert_eq!(stats.lanes_broken, 0, "{stats:?}");
        assert_eq!(stats.requests["Echo"].ok, 250);
        assert_eq!(stats.handshakes_ok, 1);
        assert_eq!(validator.connection_count(), 1);
        validator.shutdown().await;
        miner.shutdown(Duration::from_secs(1)).await;
    })
    .await;
}

#[tokio::test]
async fn queries_that_give_up_on_a_lane_leave_the_others_their_answers() {
    bounded(30, async {
        let (miner, handler) = slow_and_fast_miner().await;
        let owned = validator().await;
        let peer = miner.peer();
        let (validator, gate) = (&owned, &handler.gate);
        // The waiting queries read the lane themselves: those that give up (their answers
        // held at the miner's gate) must leave the reading to those still waiting.
        let slow = join_all((0..8u32).map(|tag| async move {
            validator
                .query_with_timeout(&peer, &Slow { tag }, Duration::from_millis(300))
                .await
                .outcome
        }));
        let fast = async move {
            for round in 0..20u32 {
                let answers = join_all((0..8u32).map(|i| async move {
                    let tag = round * 100 + i;
                    let r = validator
                        .query_with_timeout(&peer, &Fast { tag }, Duration::from_secs(5))
                        .await;
                    (tag, r.outcome)
                }))
                .await;
                for (tag, outcome) in answers {
                    assert_eq!(outcome, Ok(tag), "fast query {tag}");
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        };
        let (slow, ()) = tokio::join!(slow, fast);
        for outcome in slow {
            // Given up here, or answered 408 by the miner, whichever deadline fired first.
            assert_eq!(outcome.map_err(|e| e.status()), Err(StatusCode::TIMEOUT));
        }
        // Their late answers arrive on the lane, nobody waits for them: dropped, and the lane
        // goes on serving.
        gate.notify_waiters();
        tokio::time::sleep(Duration::from_millis(100)).await;
        for tag in 0..20u32 {
            let r = validator.query(&peer, &Fast { tag }).await;
            assert_eq!(r.outcome, Ok(tag));
        }
        assert_lanes(&miner, 1, 0);
        assert_eq!(validator.connection_count(), 1);
        owned.shutdown().await;
        miner.shutdown(Duration::from_secs(1)).await;
    })
    .await;
}

#[tokio::test]
async fn a_body_over_the_lane_limit_takes_its_own_stream_and_the_lane_keeps_serving() {
    bounded(30, async {
        let miner = echo_miner().await;
        let validator = validator().await;
        let peer = miner.peer();
        sequential_echoes(&validator, &miner, 3).await;
        assert_eq!(miner.stats().lanes_opened, 1);

        // 200 KiB, with small queries on the lane at the same time.
        let big = Echo {
            payload: (0..200 * 1024).map(|i| (i % 251) as u8).collect(),
        };
        assert!(encode_body(&big).unwrap().len() > LANE_MAX_BODY);
        let (big_result, ()) = tokio::join!(
            validator.query_with_timeout(&peer, &big, Duration::from_secs(10)),
            concurrent_echoes(&validator, &miner, 20),
        );
        let reply = big_result.outcome.expect("the big query is answered");
        assert_eq!(reply.payload, big.payload);

        // The largest body a lane carries goes on the lane, and is served there.
        let largest = echo_encoded_as(LANE_MAX_BODY);
        let result = validator
            .query_with_timeout(&peer, &largest, Duration::from_secs(10))
            .await;
        assert_eq!(result.outcome.expect("answered").payload, largest.payload);

        sequential_echoes(&validator, &miner, 3).await;
        let stats = miner.stats();
        // Had the big body gone on the lane, the miner would have reset it.
        assert_eq!(stats.lanes_opened, 1, "{stats:?}");
        assert_eq!(stats.lanes_broken, 0, "{stats:?}");
        assert_eq!(stats.requests["Echo"].ok, 3 + 1 + 20 + 1 + 3);
        assert_eq!(validator.connection_count(), 1);
        validator.shutdown().await;
        miner.shutdown(Duration::from_secs(1)).await;
    })
    .await;
}

#[tokio::test]
async fn streaming_queries_work_next_to_lanes() {
    bounded(30, async {
        let miner = echo_miner().await;
        let validator = validator().await;
        let text = "the quick brown fox jumps over the lazy dog".to_owned();
        let expected: Vec<String> = text.split(' ').map(str::to_owned).collect();
        let (words, ()) = tokio::join!(
            stream_words(&validator, &miner, &text),
            concurrent_echoes(&validator, &miner, 30)
        );
        assert_eq!(words, expected);
        // Again, once the lane is up.
        assert_eq!(stream_words(&validator, &miner, &text).await, expected);
        sequential_echoes(&validator, &miner, 2).await;

        let stats = miner.stats();
        assert_eq!(stats.requests["Words"].ok, 2, "{stats:?}");
        assert_eq!(stats.requests["Words"].bad_request, 0, "{stats:?}");
        assert_eq!(stats.requests["Echo"].ok, 32, "{stats:?}");
        assert_eq!(stats.lanes_opened, 1, "{stats:?}");
        assert_eq!(stats.lanes_broken, 0, "{stats:?}");
        validator.shutdown().await;
        miner.shutdown(Duration::from_secs(1)).await;
    })
    .await;
}

// === raw lanes: answer order and admission ===

#[tokio::test]
async fn an_answer_that_finishes_first_comes_back_first_on_a_lane() {
    bounded(30, async {
        let (miner, handler) = slow_and_fast_miner().await;
        let raw = RawConnection::authenticated(&miner, &Keypair::generate()).await;
        let mut lane = raw.open_lane().await;
        lane.send_typed("Slow", 1, 5_000, &Slow { tag: 11 })
            .await
            .unwrap();
        lane.send_typed("Fast", 2, 5_000, &Fast { tag: 22 })
            .await
            .unwrap();

        // The slow request is still held at its gate: the fast one's answer must not wait.
        let first = lane.read_answer().await.expect("first answer");
        assert_eq!(
            first.request_id, 2,
            "the fast answer did not come first: {first:?}"
        );
        assert_eq!(first.status, StatusCode::OK);
        assert_eq!(first.decode::<u32>(), 22);
        handler.gate.notify_one();
        let second = lane.read_answer().await.expect("second answer");
        assert_eq!(second.request_id, 1, "{second:?}");
        assert_eq!(second.status, StatusCode::OK);
        assert_eq!(second.decode::<u32>(), 11);

        // Many more, pipelined: each answer carries its own request's tag.
        for id in 10..60u64 {
            lane.send_typed("Fast", id, 5_000, &Fast { tag: id as u32 * 3 })
                .await
                .unwrap();
        }
        let answers = lane.read_answers(50).await;
        let mut ids: Vec<u64> = answers.iter().map(|a| a.request_id).collect();
        for answer in &answers {
            assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
            assert_eq!(u64::from(answer.decode::<u32>()), answer.request_id * 3);
        }
        ids.sort_unstable();
        assert_eq!(ids, (10..60).collect::<Vec<_>>());

        assert_lanes(&miner, 1, 0);
        raw.close().await;
        miner.shutdown(Duration::from_secs(1)).await;
    })
    .await;
}

#[tokio::test]
async fn an_admission_hook_that_waits_holds_up_no_request_behind_it_on_a_lane() {
    bounded(30, async {
        let handler = GatedMiner {
            gate: Arc::new(Notify::new()),
        };
        let miner = miner_builder()
            .handler::<Checked, _>(handler.clone())
            .start()
            .await
            .unwrap();
        let raw = RawConnection::authenticated(&miner, &Keypair::generate()).await;
        let mut lane = raw.open_lane().await;
        let held = Checked { tag: 7, hold: true };
        lane.send_typed("Checked", 1, 5_000, &held).await.unwrap();
        for id in 2..12u64 {
            let quick = Checked {
                tag: id as u32,
                hold: false,
            };
            lane.send_typed("Checked", id, 5_000, &quick).await.unwrap();
        }
        // The first request's verify hook is still waiting: the ten behind it are answered.
        let answers = lane.read_answers(10).await;
        let mut ids: Vec<u64> = answers.iter().map(|a| a.request_id).collect();
        ids.sort_unstable();
        assert_eq!(ids, (2..12).collect::<Vec<_>>(), "{answers:?}");
        handler.gate.notify_one();
        let last = lane.read_answer().await.expect("the held request's answer");
        assert_eq!(
            (last.request_id, last.status),
            (1, StatusCode::OK),
            "{last:?}"
        );
        assert_eq!(last.decode::<u32>(), 7);
        raw.close().await;
        miner.shutdown(Duration::from_secs(1)).await;
    })
    .await;
}

// === lanes switched off ===

#[tokio::test]
async fn a_miner_without_lanes_is_served_by_a_default_validator_on_streams() {
    bounded(30, async {
        let miner = miner_builder()
            .configure(|c| c.lanes = false)
            .handler::<Echo, _>(EchoMiner)
            .start()
            .await
            .unwrap();

        // A lane's first request is answered 400 as a plain request stream.
        let raw = RawConnection::authenticated(&miner, &Keypair::generate()).await;
        let mut bytes = encode_frame(
            FrameType::LaneRequestHead,
            &RequestHead {
                synapse: "Echo".into(),
                request_id: 1,
                timeout_ms: 5_000,
            },
        )
        .unwrap();
        let body = encode_body(&ping()).unwrap();
        bytes.extend_from_slice(&FrameHeader::encode(FrameType::Body, body.len() as u32));
        bytes.extend_from_slice(&body);
        let mut recv = raw.send_raw_request(&bytes).await;
        let reply = read_response(&mut recv).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
        raw.close().await;

        // A validator whose first queries are sequential, then concurrent.
        let first = validator().await;
        sequential_echoes(&first, &miner, 5).await;
        concurrent_echoes(&first, &miner, 50).await;
        // A validator whose first queries are concurrent (they all race to the first lane).
        let second = validator().await;
        concurrent_echoes(&second, &miner, 50).await;
        sequential_echoes(&second, &miner, 5).await;

        let stats = miner.stats();
        assert_eq!(stats.lanes_opened, 0, "{stats:?}");
        assert_eq!(stats.lanes_broken, 0, "{stats:?}");
        assert_eq!(stats.requests["Echo"].ok, 110, "{stats:?}");
        assert_eq!(stats.handshakes_ok, 3);
        first.shutdown().await;
        second.shutdown().await;
        miner.shutdown(Duration::from_secs(1)).await;
    })
    .await;
}

#[tokio::test]
async fn a_validator_without_lanes_queries_on_streams() {
    bounded(30, async {
        let miner = echo_miner().await;
        let validator = validator_without_lanes().await;
        concurrent_echoes(&validator, &miner, 50).await;
        sequential_echoes(&validator, &miner, 5).await;
        let stats = miner.stats();
        assert_eq!(stats.lanes_opened, 0, "{stats:?}");
        assert_eq!(stats.requests["Echo"].ok, 55, "{stats:?}");
        assert_eq!(validator.connection_count(), 1);
        validator.shutdown().await;
        miner.shutdown(Duration::from_secs(1)).await;
    })
    .await;
}

/// Counts the handlers that started, and holds each until the test releases them.
#[derive(Clone)]
struct HeldMiner {
    started: Arc<std::sync::atomic::AtomicUsize>,
    release: Arc<tokio::sync::Semaphore>,
}

/// A request held by [`HeldMiner`].
#[derive(Debug, Serialize, Deserialize)]
struct Held {
    tag: u32,
}

impl Synapse for Held {
    const NAME: &'static str = "Held";
    type Response = u32;
}

impl Admission<Held> for HeldMiner {}

impl Handler<Held> for HeldMiner {
    async fn forward(&self, _: &RequestContext, req: Held) -> Result<u32, HandlerError> {
        self.started
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        // Bounded, so a test that fails never hangs a worker.
        let held = tokio::time::timeout(Duration::from_secs(10), self.release.acquire()).await;
        if let Ok(Ok(permit)) = held {
            permit.forget();
        }
        Ok(req.tag)
    }
}

#[tokio::test]
async fn several_lanes_of_one_connection_share_its_limit_of_requests_in_flight() {
    bounded(30, async {
        const PLACES: usize = 8;
        let held = HeldMiner {
            started: Arc::default(),
            release: Arc::new(tokio::sync::Semaphore::new(0)),
        };
        let miner = miner_builder()
            .configure(|c| c.transport.max_streams_per_connection = PLACES as u32)
            .handler::<Held, _>(held.clone())
            .start()
            .await
            .unwrap();
        let raw = RawConnection::authenticated(&miner, &Keypair::generate()).await;
        // Three lanes, each with as many requests as the whole connection may have in flight.
        let mut lanes = Vec::new();
        for lane in 0..3u32 {
            let mut raw_lane = raw.open_lane().await;
            for n in 0..PLACES as u32 {
                let tag = lane * 100 + n;
                raw_lane
                    .send_typed("Held", u64::from(tag), 20_000, &Held { tag })
                    .await
                    .unwrap();
            }
            lanes.push(raw_lane);
        }
        let started = || held.started.load(std::sync::atomic::Ordering::SeqCst);
        axonite_e2e::raw::eventually("the connection's places fill up", || started() == PLACES)
            .await;
        // Past the limit nothing more starts, whichever lane it came on.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            started(),
            PLACES,
            "more requests in flight than the connection allows"
        );

        held.release.add_permits(3 * PLACES);
        let mut answered = Vec::new();
        for lane in &mut lanes {
            for answer in lane.read_answers(PLACES).await {
                assert_eq!(answer.status, StatusCode::OK, "{}", answer.message);
                answered.push(answer.decode::<u32>());
            }
        }
        answered.sort_unstable();
        let mut expected: Vec<u32> = (0..3u32)
            .flat_map(|lane| (0..PLACES as u32).map(move |n| lane * 100 + n))
            .collect();
        expected.sort_unstable();
        assert_eq!(answered, expected);
        assert_eq!(started(), 3 * PLACES);
        raw.close().await;
        miner.shutdown(Duration::from_secs(1)).await;
    })
    .await;
}
