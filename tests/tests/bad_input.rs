//! Bad input after authentication gets a clear status and loses nothing: unknown synapses,
//! undecodable or malformed frames, oversized heads and bodies, failing, panicking and slow
//! handlers, refusing hooks, a full queue and requests that expire while queued. After each,
//! the same connection (or the same miner) keeps serving.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axonite::protocol::codec::{encode_body, encode_frame};
use axonite::protocol::{FrameHeader, FrameType, RequestHead, StatusCode};
use axonite::{Admission, Blacklist, Handler, HandlerError, Keypair, RequestContext, Synapse};
use axonite_actors::{Miner, QueryError};
use axonite_e2e::raw::{RawConnection, eventually, read_response};
use axonite_e2e::synapses::{Small, SmallMiner};
use axonite_e2e::{bounded, echo_miner, miner_builder, validator};
use axonite_examples::echo::{Echo, EchoMiner, EchoReply};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

fn ping() -> Echo {
    Echo {
        payload: b"ping".to_vec(),
    }
}

/// Asserts that `raw` still gets an echo answered.
async fn echo_still_works(raw: &RawConnection) {
    let reply = raw.request_typed("Echo", 5_000, &ping()).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.decode::<EchoReply>().payload, b"ping");
}

// === synapses defined by the tests ===

/// A synapse no miner here serves.
#[derive(Debug, Serialize, Deserialize)]
struct Missing {
    x: u8,
}

impl Synapse for Missing {
    const NAME: &'static str = "Missing";
    type Response = u8;
}

/// A handler that does what the request says: `fail`, `panic`, `sleep`, or echo the word.
#[derive(Debug, Serialize, Deserialize)]
struct Flaky {
    action: String,
}

impl Flaky {
    fn new(action: &str) -> Self {
        Self {
            action: action.into(),
        }
    }
}

impl Synapse for Flaky {
    const NAME: &'static str = "Flaky";
    type Response = String;
}

#[derive(Default)]
struct FlakyMiner {
    calls: Arc<AtomicUsize>,
}

impl Admission<Flaky> for FlakyMiner {}

impl Handler<Flaky> for FlakyMiner {
    async fn forward(&self, _: &RequestContext, req: Flaky) -> Result<String, HandlerError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        match req.action.as_str() {
            "fail" => Err(HandlerError::new("flaky failed on purpose")),
            "panic" => panic!("flaky panics on purpose"),
            "sleep" => {
                tokio::time::sleep(Duration::from_secs(3_600)).await;
                Ok("woke up".into())
            }
            other => Ok(other.to_owned()),
        }
    }
}

/// A synapse whose admission hooks read the request.
#[derive(Debug, Serialize, Deserialize)]
struct Guarded {
    text: String,
}

impl Synapse for Guarded {
    const NAME: &'static str = "Guarded";
    type Response = String;
}

#[derive(Default)]
struct GuardedMiner {
    calls: Arc<AtomicUsize>,
}

impl Admission<Guarded> for GuardedMiner {
    async fn verify(&self, _: &RequestContext, req: &Guarded) -> Result<(), String> {
        if req.text == "forged" {
            Err("proof does not verify".into())
        } else if req.text == "explode" {
            panic!("verify hook panics on purpose")
        } else {
            Ok(())
        }
    }

    async fn blacklist(&self, _: &RequestContext, req: &Guarded) -> Blacklist {
        if req.text == "banned" {
            Blacklist::Deny("you are banned".into())
        } else {
            Blacklist::Allow
        }
    }
}

impl Handler<Guarded> for GuardedMiner {
    async fn forward(&self, _: &RequestContext, req: Guarded) -> Result<String, HandlerError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(req.text)
    }
}

/// A request that waits at a gate the test opens; its priority comes from the body.
#[derive(Debug, Serialize, Deserialize)]
struct Gate {
    tag: u32,
    priority: f64,
}

impl Synapse for Gate {
    const NAME: &'static str = "Gate";
    type Response = u32;
}

struct GateState {
    /// Requests that passed admission (the priority hook ran; they are queued next).
    admitted: AtomicUsize,
    /// Tags of the requests the handler ran, in order.
    ran: Mutex<Vec<u32>>,
    gate: Semaphore,
}

impl GateState {
    fn new() -> Self {
        Self {
            admitted: AtomicUsize::new(0),
            ran: Mutex::new(Vec::new()),
            gate: Semaphore::new(0),
        }
    }

    fn ran(&self) -> Vec<u32> {
        self.ran.lock().expect("not poisoned").clone()
    }
}

struct GateMiner(Arc<GateState>);

impl Admission<Gate> for GateMiner {
    fn priority(&self, _: &RequestContext, req: &Gate) -> f64 {
        self.0.admitted.fetch_add(1, Ordering::SeqCst);
        req.priority
    }
}

impl Handler<Gate> for GateMiner {
    async fn forward(&self, _: &RequestContext, req: Gate) -> Result<u32, HandlerError> {
        self.0.ran.lock().expect("not poisoned").push(req.tag);
        self.0
            .gate
            .acquire()
            .await
            .map_err(|_| HandlerError::new("gate closed"))?
            .forget();
        Ok(req.tag)
    }
}

/// A miner with one `Gate` worker and a queue of `capacity`.
async fn gate_miner(capacity: usize) -> (Miner, Arc<GateState>) {
    let state = Arc::new(GateState::new());
    let miner = miner_builder()
        .configure(|c| {
            c.workers_per_synapse = 1;
            c.queue_capacity = capacity;
        })
        .handler::<Gate, _>(GateMiner(state.clone()))
        .start()
        .await
        .expect("gate miner starts");
    (miner, state)
}

// === routing and decoding ===

#[tokio::test]
async fn unknown_synapse_is_404_and_the_connection_keeps_serving() {
    bounded(60, async {
        let miner = echo_miner().await;
        let validator = validator().await;
        let result = validator
            .query_with_timeout(&miner.peer(), &Missing { x: 1 }, Duration::from_secs(5))
            .await;
        assert_eq!(
            result.status(),
            StatusCode::NOT_FOUND,
            "{:?}",
            result.outcome
        );
        match &result.outcome {
            Err(QueryError::Status { message, .. }) => {
                assert!(message.contains("unknown synapse `Missing`"), "{message}");
            }
            other => panic!("expected a 404 status, got {other:?}"),
        }
        let result = validator
            .query_with_timeout(&miner.peer(), &ping(), Duration::from_secs(5))
            .await;
        assert_eq!(result.status(), StatusCode::OK, "{:?}", result.outcome);
        // Same connection for both.
        assert_eq!(validator.connection_count(), 1);
        let stats = miner.stats();
        assert_eq!(stats.handshakes_ok, 1);
        assert_eq!(
            (stats.unrouted.not_found, stats.requests["Echo"].ok),
            (1, 1)
        );
        validator.shutdown().await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}

#[tokio::test]
async fn undecodable_body_is_400() {
    bounded(60, async {
        let miner = echo_miner().await;
        let raw = RawConnection::authenticated(&miner, &Keypair::generate()).await;
        // 0xc1 is never valid MessagePack.
        let garbage = raw.request("Echo", 5_000, &[0xc1, 0xc1, 0xc1]).await;
        assert_eq!(garbage.status, StatusCode::BAD_REQUEST, "{garbage:?}");
        assert!(!garbage.message.is_empty());
        // Valid MessagePack, wrong shape.
        let wrong_shape = encode_body(&"just a string").unwrap();
        let reply = raw.request("Echo", 5_000, &wrong_shape).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
        // Nested deeper than the miner's decode limit (64).
        let mut deep = vec![0x91u8; 200];
        deep.push(0);
        let reply = raw.request("Echo", 5_000, &deep).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");

        assert_eq!(miner.stats().requests["Echo"].bad_request, 3);
        echo_still_works(&raw).await;
        assert_eq!(miner.stats().handshakes_ok, 1);
        raw.close().await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}

#[tokio::test]
async fn malformed_request_frames_are_400_and_the_connection_survives() {
    bounded(60, async {
        let miner = echo_miner().await;
        let raw = RawConnection::authenticated(&miner, &Keypair::generate()).await;
        let head = encode_frame(
            FrameType::RequestHead,
            &RequestHead {
                synapse: "Echo".into(),
                request_id: 9,
                timeout_ms: 5_000,
            },
        )
        .unwrap();
        let body = encode_body(&ping()).unwrap();

        let unknown_type = vec![0x42, 0, 0, 0, 1, 0];
        let mut head_garbage = FrameHeader::encode(FrameType::RequestHead, 4).to_vec();
        head_garbage.extend_from_slice(&[0xc1; 4]);
        let head_only = head.clone();
        let mut chunk_for_body = head.clone();
        chunk_for_body.extend_from_slice(&FrameHeader::encode(
            FrameType::StreamChunk,
            body.len() as u32,
        ));
        chunk_for_body.extend_from_slice(&body);
        let mut truncated_body = head.clone();
        truncated_body.extend_from_slice(&FrameHeader::encode(FrameType::Body, 100));
        truncated_body.extend_from_slice(&[0x90; 10]);
        // A request ends with its body frame; anything after it breaks the protocol.
        let mut trailing = head.clone();
        trailing.extend_from_slice(&FrameHeader::encode(FrameType::Body, body.len() as u32));
        trailing.extend_from_slice(&body);
        trailing.push(0x90);

        for (what, bytes) in [
            ("unknown frame type", unknown_type),
            ("undecodable head", head_garbage),
            ("head without body", head_only),
            ("chunk frame instead of body", chunk_for_body),
            ("truncated body", truncated_body),
            ("bytes after the body", trailing),
        ] {
            let mut recv = raw.send_raw_request(&bytes).await;
            let reply = read_response(&mut recv).await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{what}: {reply:?}");
        }
        echo_still_works(&raw).await;
        assert_eq!(miner.stats().handshakes_ok, 1);
        assert_eq!(miner.stats().active_connections, 1);
        raw.close().await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}

// === sizes ===

#[tokio::test]
async fn oversized_body_is_413_without_being_read() {
    bounded(60, async {
        let miner = miner_builder()
            .configure(|c| c.limits.max_request_body = 64 * 1024)
            .handler::<Echo, _>(EchoMiner)
            .start()
            .await
            .unwrap();
        let raw = RawConnection::authenticated(&miner, &Keypair::generate()).await;

        // Declare 10 MiB, then keep streaming: the miner must answer from the header alone
        // and tell us to stop sending.
        let (mut send, mut recv) = raw.open_request("Echo", 10_000).await;
        let declared: u32 = 10 * 1024 * 1024;
        let writer = tokio::spawn(async move {
            send.write_all(&FrameHeader::encode(FrameType::Body, declared))
                .await?;
            let chunk = vec![0x55u8; 64 * 1024];
            for _ in 0..(declared as usize / chunk.len()) {
                send.write_all(&chunk).await?;
            }
            Ok::<_, quinn::WriteError>(())
        });
        let reply = read_response(&mut recv).await;
        assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{reply:?}");
        assert!(reply.message.contains("10485760"), "{reply:?}");
        // The body was never finished: the miner stopped the stream instead of reading it
        // (without STOP_SENDING, flow control would block the writer at ~2 MiB forever).
        let written = writer.await.unwrap();
        assert!(
            matches!(written, Err(quinn::WriteError::Stopped(_))),
            "{written:?}"
        );

        echo_still_works(&raw).await;
        raw.close().await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}

#[tokio::test]
async fn synapse_request_limit_is_enforced() {
    bounded(60, async {
        let miner = miner_builder()
            .handler::<Small, _>(SmallMiner)
            .start()
            .await
            .unwrap();
        let validator = validator().await;
        let big = validator
            .query_with_timeout(
                &miner.peer(),
                &Small {
                    data: vec![7; 2048],
                },
                Duration::from_secs(5),
            )
            .await;
        assert_eq!(
            big.status(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "{:?}",
            big.outcome
        );
        let small = validator
            .query_with_timeout(
                &miner.peer(),
                &Small { data: vec![7; 512] },
                Duration::from_secs(5),
            )
            .await;
        assert_eq!(small.outcome, Ok(512));
        assert_eq!(validator.connection_count(), 1);
        validator.shutdown().await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}

#[tokio::test]
async fn oversized_request_head_is_413_and_the_connection_survives() {
    bounded(60, async {
        let miner = echo_miner().await;
        let raw = RawConnection::authenticated(&miner, &Keypair::generate()).await;
        let mut bytes = FrameHeader::encode(FrameType::RequestHead, 5_000).to_vec();
        bytes.extend_from_slice(&[0x90; 100]);
        let mut recv = raw.send_raw_request(&bytes).await;
        let reply = read_response(&mut recv).await;
        assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{reply:?}");
        // A synapse name that blows the head limit through the real encoder, too.
        let name = "N".repeat(5_000);
        let reply = raw.request(&name, 5_000, &[]).await;
        assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{reply:?}");

        echo_still_works(&raw).await;
        raw.close().await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}

// === handlers ===

#[tokio::test]
async fn handler_errors_and_panics_are_500_and_the_miner_keeps_serving() {
    bounded(120, async {
        let handler = FlakyMiner::default();
        let calls = handler.calls.clone();
        let miner = miner_builder()
            .configure(|c| c.workers_per_synapse = 2)
            .handler::<Flaky, _>(handler)
            .start()
            .await
            .unwrap();
        let validator = validator().await;
        let peer = miner.peer();
        let ask = |action: &'static str| {
            let validator = &validator;
            async move {
                validator
                    .query_with_timeout(&peer, &Flaky::new(action), Duration::from_secs(10))
                    .await
                    .outcome
            }
        };

        assert_eq!(
            ask("fail").await,
            Err(QueryError::Status {
                status: StatusCode::INTERNAL_ERROR,
                message: "flaky failed on purpose".into()
            })
        );
        assert_eq!(
            ask("panic").await,
            Err(QueryError::Status {
                status: StatusCode::INTERNAL_ERROR,
                message: "handler panicked".into()
            })
        );
        // The very next request to the same synapse is served.
        assert_eq!(ask("ok").await, Ok("ok".to_owned()));

        // Panics in a row, more than the workers: restarted workers keep draining the queue.
        for i in 0..10 {
            let outcome = ask("panic").await;
            assert_eq!(
                outcome.map_err(|e| e.status()),
                Err(StatusCode::INTERNAL_ERROR),
                "{i}"
            );
        }
        for i in 0..10 {
            assert_eq!(ask("still here").await, Ok("still here".to_owned()), "{i}");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 23);
        assert_eq!(validator.connection_count(), 1);
        validator.shutdown().await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}

#[tokio::test]
async fn handler_over_its_deadline_is_408_and_cancelled() {
    bounded(60, async {
        // One worker: if the slow handler were not cancelled, nothing else would run.
        let miner = miner_builder()
            .configure(|c| c.workers_per_synapse = 1)
            .handler::<Flaky, _>(FlakyMiner::default())
            .start()
            .await
            .unwrap();

        let raw = RawConnection::authenticated(&miner, &Keypair::generate()).await;
        let reply = raw.request_typed("Flaky", 200, &Flaky::new("sleep")).await;
        assert_eq!(reply.status, StatusCode::TIMEOUT, "{reply:?}");

        let validator = validator().await;
        let slow = validator
            .query_with_timeout(
                &miner.peer(),
                &Flaky::new("sleep"),
                Duration::from_millis(300),
            )
            .await;
        assert_eq!(slow.status(), StatusCode::TIMEOUT, "{:?}", slow.outcome);

        // The worker is free again: a quick request is answered well within its timeout.
        let quick = validator
            .query_with_timeout(&miner.peer(), &Flaky::new("quick"), Duration::from_secs(10))
            .await;
        assert_eq!(quick.outcome, Ok("quick".to_owned()));
        let reply = raw.request_typed("Flaky", 10_000, &Flaky::new("raw")).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");

        raw.close().await;
        validator.shutdown().await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}

#[tokio::test]
async fn admission_hooks_refuse_with_401_403_and_contain_panics() {
    bounded(60, async {
        let handler = GuardedMiner::default();
        let calls = handler.calls.clone();
        let miner = miner_builder()
            .handler::<Guarded, _>(handler)
            .start()
            .await
            .unwrap();
        let validator = validator().await;
        let peer = miner.peer();
        let ask = |text: &'static str| {
            let validator = &validator;
            async move {
                validator
                    .query_with_timeout(
                        &peer,
                        &Guarded { text: text.into() },
                        Duration::from_secs(5),
                    )
                    .await
            }
        };
        assert_eq!(
            ask("forged").await.outcome,
            Err(QueryError::Status {
                status: StatusCode::UNAUTHORIZED,
                message: "proof does not verify".into()
            })
        );
        assert_eq!(
            ask("banned").await.outcome,
            Err(QueryError::Status {
                status: StatusCode::FORBIDDEN,
                message: "you are banned".into()
            })
        );
        // A panicking hook is contained like a panicking handler.
        assert_eq!(
            ask("explode").await.outcome,
            Err(QueryError::Status {
                status: StatusCode::INTERNAL_ERROR,
                message: "admission hook panicked".into()
            })
        );
        assert_eq!(ask("welcome").await.outcome, Ok("welcome".to_owned()));
        assert_eq!(validator.connection_count(), 1);
        // Refused requests never reached the handler.
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        validator.shutdown().await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}

// === queueing ===

#[tokio::test]
async fn full_queue_sheds_the_lowest_priority_with_503() {
    bounded(60, async {
        let (miner, state) = gate_miner(2).await;
        let raw = RawConnection::authenticated(&miner, &Keypair::generate()).await;
        let send = |tag: u32, priority: f64| {
            let raw = &raw;
            async move {
                let body = encode_body(&Gate { tag, priority }).unwrap();
                raw.send_request("Gate", 20_000, &body).await
            }
        };

        // A occupies the only worker; B and C fill the queue.
        let mut a = send(1, 10.0).await;
        eventually("A runs", || state.ran() == [1]).await;
        let mut b = send(2, 1.0).await;
        eventually("B queued", || state.admitted.load(Ordering::SeqCst) == 2).await;
        let mut c = send(3, 2.0).await;
        eventually("C queued", || state.admitted.load(Ordering::SeqCst) == 3).await;

        // D outranks the lowest queued request (B), which is shed.
        let mut d = send(4, 3.0).await;
        let shed = read_response(&mut b).await;
        assert_eq!(shed.status, StatusCode::UNAVAILABLE, "{shed:?}");
        // E ranks below everything queued: shed itself.
        let mut e = send(5, 0.5).await;
        let shed = read_response(&mut e).await;
        assert_eq!(shed.status, StatusCode::UNAVAILABLE, "{shed:?}");
        assert!(shed.message.contains("overloaded"), "{shed:?}");

        state.gate.add_permits(10);
        for (stream, tag) in [(&mut a, 1u32), (&mut d, 4), (&mut c, 3)] {
            let reply = read_response(stream).await;
            assert_eq!(reply.status, StatusCode::OK, "{tag}: {reply:?}");
            assert_eq!(reply.decode::<u32>(), tag);
        }
        // Highest priority first; the shed ones never ran.
        assert_eq!(state.ran(), [1, 4, 3]);
        raw.close().await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}

#[tokio::test]
async fn request_expiring_in_the_queue_is_408_without_running() {
    bounded(60, async {
        let (miner, state) = gate_miner(16).await;
        let raw = RawConnection::authenticated(&miner, &Keypair::generate()).await;
        let send = |tag: u32, timeout_ms: u32| {
            let raw = &raw;
            async move {
                let body = encode_body(&Gate { tag, priority: 1.0 }).unwrap();
                raw.send_request("Gate", timeout_ms, &body).await
            }
        };

        let mut a = send(1, 20_000).await;
        eventually("A runs", || state.ran() == [1]).await;
        // B waits behind A and its deadline passes in the queue.
        let mut b = send(2, 300).await;
        let expired = read_response(&mut b).await;
        assert_eq!(expired.status, StatusCode::TIMEOUT, "{expired:?}");

        // Open the gate: A finishes, the worker meets B (expired: skipped), then C.
        state.gate.add_permits(10);
        let reply = read_response(&mut a).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        let mut c = send(3, 20_000).await;
        let reply = read_response(&mut c).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        assert_eq!(state.ran(), [1, 3], "the expired request must not run");
        raw.close().await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}

#[tokio::test]
async fn stalled_request_is_408_and_its_stream_stopped() {
    bounded(60, async {
        let miner = miner_builder()
            .configure(|c| c.request_read_timeout = Duration::from_millis(500))
            .handler::<Echo, _>(EchoMiner)
            .start()
            .await
            .unwrap();
        let raw = RawConnection::authenticated(&miner, &Keypair::generate()).await;

        // A body frame that announces 100 bytes, 10 arrive, then nothing.
        let (mut body_stalled, mut recv) = raw.open_request("Echo", 30_000).await;
        body_stalled
            .write_all(&FrameHeader::encode(FrameType::Body, 100))
            .await
            .unwrap();
        body_stalled.write_all(&[0x90; 10]).await.unwrap();
        let reply = read_response(&mut recv).await;
        assert_eq!(reply.status, StatusCode::TIMEOUT, "{reply:?}");
        assert!(reply.message.contains("not received in time"), "{reply:?}");
        // The miner stopped the stream: the rest of the body is refused.
        let rest = body_stalled.stopped().await;
        assert!(matches!(rest, Ok(Some(_))), "{rest:?}");

        // A head that never completes is answered the same way.
        let (mut head_stalled, mut recv) = raw.connection().open_bi().await.unwrap();
        head_stalled
            .write_all(&FrameHeader::encode(FrameType::RequestHead, 50))
            .await
            .unwrap();
        let reply = read_response(&mut recv).await;
        assert_eq!(reply.status, StatusCode::TIMEOUT, "{reply:?}");

        echo_still_works(&raw).await;
        drop((body_stalled, head_stalled));
        raw.close().await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}

#[tokio::test]

async fn expired_requests_do_not_shed_live_ones() {
    bounded(60, async {
        let (miner, state) = gate_miner(2).await;
        let raw = RawConnection::authenticated(&miner, &Keypair::generate()).await;
        let send = |tag: u32, priority: f64, timeout_ms: u32| {
            let raw = &raw;
            async move {
                let body = encode_body(&Gate { tag, priority }).unwrap();
                raw.send_request("Gate", timeout_ms, &body).await
            }
        };

        // A holds the only worker; B and C fill the queue and expire there (their callers
        // got 408 and left).
        let mut a = send(1, 5.0, 20_000).await;
        eventually("A runs", || state.ran() == [1]).await;
        let mut b = send(2, 5.0, 200).await;
        let mut c = send(3, 5.0, 200).await;
        for expired in [&mut b, &mut c] {
            let reply = read_response(expired).await;
            assert_eq!(reply.status, StatusCode::TIMEOUT, "{reply:?}");
        }
        // D arrives while only abandoned work is queued: it must be queued, not shed.
        let mut d = send(4, 1.0, 20_000).await;
        eventually("D admitted", || state.admitted.load(Ordering::SeqCst) == 4).await;
        state.gate.add_permits(10);
        let reply = read_response(&mut a).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        let reply = read_response(&mut d).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "live request shed by expired ones: {reply:?}"
        );
        assert_eq!(state.ran(), [1, 4]);
        raw.close().await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}
