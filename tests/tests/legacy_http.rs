//! The legacy HTTP axon over real TCP on loopback, with requests written byte for byte:
//! a good signed request is answered as the SDK's axon answers; every bad one gets its
//! status without costing the miner a body read, and the miner keeps serving.

use std::time::Duration;

use axonite::Keypair;
use axonite::directory::{StaticDirectory, ValidatorInfo};
use axonite::legacy::{LegacyCall, LegacyTarget, now_ns};
use axonite_actors::miner::ValidatorGate;
use axonite_actors::rate_limit::RateLimitConfig;
use axonite_actors::{Miner, MinerBuilder};
use axonite_e2e::http::{HttpAnswer, exchange, read_answer, request};
use axonite_e2e::{NETUID, bounded, loopback};
use axonite_examples::legacy::{Dummy, LegacyMiner, Summation};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

fn builder(dendrite: &Keypair, stake: f64) -> MinerBuilder {
    Miner::builder(Keypair::generate())
        .netuid(NETUID)
        .listen(loopback())
        .directory(StaticDirectory::new([(
            dendrite.hotkey(),
            ValidatorInfo::new(0, stake, true),
        )]))
        .configure(|c| c.gate = ValidatorGate::PERMITTED)
        .legacy_handler::<Dummy, _>(LegacyMiner)
        .legacy_handler::<Summation, _>(LegacyMiner)
}

async fn miner(dendrite: &Keypair) -> Miner {
    builder(dendrite, 1_000.0)
        .start()
        .await
        .expect("miner starts")
}

/// A request signed by `dendrite` for `miner`, as the SDK's dendrite builds it.
fn signed(miner: &Miner, dendrite: &Keypair, value: i64) -> LegacyCall {
    let axon = miner.hotkey();
    let target = LegacyTarget {
        axon: &axon,
        addr: miner.legacy_addr().expect("legacy served"),
        uuid: "test-uuid",
        nonce: now_ns(),
        own_ip: "127.0.0.1",
    };
    LegacyCall::new(
        &Dummy { dummy_input: value },
        dendrite,
        target,
        Duration::from_secs(5),
    )
    .expect("request builds")
}

async fn send(miner: &Miner, call: &LegacyCall) -> HttpAnswer {
    let raw = request("POST", &call.path, &call.headers, &call.body);
    bounded(
        10,
        exchange(miner.legacy_addr().expect("legacy served"), &raw),
    )
    .await
}

#[tokio::test]
async fn a_signed_request_is_answered_like_the_sdk_axon_answers() {
    let dendrite = Keypair::generate();
    let miner = miner(&dendrite).await;
    assert_eq!(
        miner.legacy_addr().map(|a| a.port()),
        Some(miner.local_addr().port())
    );
    let answer = send(&miner, &signed(&miner, &dendrite, 7)).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let body = answer.json();
    assert_eq!(body["dummy_output"], 14);
    assert_eq!(body["dummy_input"], 7);
    assert_eq!(body["axon"]["status_code"], 200);
    assert_eq!(answer.header("bt_header_axon_status_code"), Some("200"));
    assert_eq!(
        answer.header("bt_header_axon_hotkey").map(str::to_owned),
        Some(miner.hotkey().to_ss58())
    );
    miner.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn bad_requests_get_their_status_and_the_miner_keeps_serving() {
    let dendrite = Keypair::generate();
    let miner = miner(&dendrite).await;
    let addr = miner.legacy_addr().expect("legacy served");
    let good = signed(&miner, &dendrite, 1);

    let get = exchange(addr, &request("GET", "/Dummy", &good.headers, b"")).await;
    assert_eq!(get.status, 405);
    let unknown = exchange(addr, &request("POST", "/Nope", &good.headers, &good.body)).await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.json()["message"].is_string());
    let bad_path = exchange(addr, &request("POST", "/a/b", &good.headers, &good.body)).await;
    assert_eq!(bad_path.status, 400);

    // No signature headers at all: refused before the body is read.
    let unsigned = exchange(addr, &request("POST", "/Dummy", &[], &good.body)).await;
    assert_eq!(unsigned.status, 401);

    // Signed for another axon: the signature does not verify here.
    let elsewhere = Keypair::generate().hotkey();
    let target = LegacyTarget {
        axon: &elsewhere,
        addr,
        uuid: "u",
        nonce: now_ns(),
        own_ip: "127.0.0.1",
    };
    let misaddressed = LegacyCall::new(
        &Dummy { dummy_input: 1 },
        &dendrite,
        target,
        Duration::from_secs(5),
    )
    .expect("builds");
    assert_eq!(send(&miner, &misaddressed).await.status, 401);

    // A body that is not the synapse's JSON (signature fine, no hashed fields): 400.
    let mut garbled = signed(&miner, &dendrite, 2);
    garbled.body = b"{\"dummy_input\": \"two\"}".to_vec();
    assert_eq!(send(&miner, &garbled).await.status, 400);

    // `good` was signed before the garbled request but arrives after it: concurrent
    // requests arrive in any order, and each nonce is accepted once.
    assert_eq!(send(&miner, &good).await.status, 200);
    // The same request again is a replay.
    assert_eq!(send(&miner, &good).await.status, 401);
    assert_eq!(
        send(&miner, &signed(&miner, &dendrite, 3)).await.status,
        200
    );

    // The timeout header is the peer's number (the signature does not cover it): one too
    // large for any duration is the miner's cap, not a crash.
    let mut huge_timeout = signed(&miner, &dendrite, 5);
    for (name, value) in &mut huge_timeout.headers {
        if name == "timeout" {
            *value = "1e300".into();
        }
    }
    let answer = send(&miner, &huge_timeout).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json()["dummy_output"], 10);
    miner.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn an_oversized_body_is_refused_from_its_length_without_being_read() {
    let dendrite = Keypair::generate();
    let miner = miner(&dendrite).await;
    let call = signed(&miner, &dendrite, 1);
    let mut head = format!(
        "POST {} HTTP/1.1\r\nhost: t\r\nconnection: close\r\n",
        call.path
    );
    for (name, value) in &call.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("content-length: 104857600\r\n\r\n");
    // Only the head is sent: the answer comes without a byte of the 100 MiB body.
    let mut stream = TcpStream::connect(miner.legacy_addr().expect("legacy served"))
        .await
        .expect("connect");
    stream.write_all(head.as_bytes()).await.expect("write");
    let answer = bounded(10, read_answer(&mut stream)).await;
    assert_eq!(answer.status, 413, "{answer:?}");
    assert_eq!(
        send(&miner, &signed(&miner, &dendrite, 2)).await.status,
        200
    );
    miner.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn a_caller_outside_the_gate_gets_403_and_a_flooding_one_gets_429() {
    let dendrite = Keypair::generate();
    let miner = builder(&dendrite, 10.0)
        .rate_limits(RateLimitConfig::default())
        .start()
        .await
        .expect("miner starts");
    let stranger = Keypair::generate();
    assert_eq!(
        send(&miner, &signed(&miner, &stranger, 1)).await.status,
        403
    );

    // Stake 10: 10 requests per second, burst 20. Sixty at once overflow it.
    let mut statuses = Vec::new();
    for value in 0..60 {
        statuses.push(send(&miner, &signed(&miner, &dendrite, value)).await.status);
    }
    let ok = statuses.iter().filter(|s| **s == 200).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert!(ok >= 20, "{statuses:?}");
    assert!(limited >= 1, "{statuses:?}");
    assert_eq!(ok + limited, statuses.len(), "{statuses:?}");
    miner.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn a_client_that_trickles_its_headers_is_cut_off() {
    let dendrite = Keypair::generate();
    let miner = builder(&dendrite, 1_000.0)
        .configure(|c| c.legacy.header_read_timeout = Duration::from_millis(300))
        .start()
        .await
        .expect("miner starts");
    let mut stream = TcpStream::connect(miner.legacy_addr().expect("legacy served"))
        .await
        .expect("connect");
    stream
        .write_all(b"POST /Dummy HTTP/1.1\r\nhost: t\r\n")
        .await
        .expect("write");
    // The rest of the head never comes: the miner closes the connection.
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "connection still open after 5 s");
    assert_eq!(
        send(&miner, &signed(&miner, &dendrite, 1)).await.status,
        200
    );
    miner.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed() {
    let dendrite = Keypair::generate();
    let miner = builder(&dendrite, 1_000.0)
        .configure(|c| c.legacy.idle_timeout = Duration::from_millis(300))
        .start()
        .await
        .expect("miner starts");
    let call = signed(&miner, &dendrite, 1);
    // A keep-alive request (no `connection: close`): the answer leaves the connection open.
    let raw = String::from_utf8(request("POST", &call.path, &call.headers, &call.body))
        .expect("ascii")
        .replace("connection: close\r\n", "");
    let mut stream = TcpStream::connect(miner.legacy_addr().expect("legacy served"))
        .await
        .expect("connect");
    stream.write_all(raw.as_bytes()).await.expect("write");
    let mut answer = vec![0u8; 64 * 1024];
    let n = bounded(10, stream.read(&mut answer)).await.expect("read");
    assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 200"));
    // Then nothing: the miner closes the connection (read returns 0) instead of holding it.
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "idle connection still open after 5 s");
    miner.shutdown(Duration::from_secs(2)).await;
}
