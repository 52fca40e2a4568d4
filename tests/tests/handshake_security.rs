//! The session-bound handshake under attack, over real QUIC on loopback: relays, replays,
//! forged and stale requests, impostor miners, garbage before authentication, wrong ALPN,
//! silent clients and the pre-authentication caps. After every attack the miner must keep
//! serving an honest validator.

use std::net::SocketAddr;
use std::time::Duration;

use axonite::handshake::{HandshakeError, HandshakeVerifier, ServerPolicy, unix_millis};
use axonite::protocol::codec::{decode_envelope, encode_frame, frame_bytes};
use axonite::protocol::{
    CloseCode, FrameHeader, FrameType, HandshakeRequest, Limits, RequestHead, StatusCode,
};
use axonite::transport::{
    SERVER_NAME, TransportSettings, client_config, read_frame, server_config, session_binding,
    write_frame,
};
use axonite::{Keypair, Peer};
use axonite_actors::{HandshakeFailure, Miner, QueryError, Validator};
use axonite_e2e::raw::{RawConnection, client_endpoint_with_alpn, eventually};
use axonite_e2e::{
    NETUID, bounded, echo_miner, loopback, miner_builder, validator, validator_with,
};
use axonite_examples::echo::{Echo, EchoMiner};

fn ping() -> Echo {
    Echo {
        payload: b"ping".to_vec(),
    }
}

/// Queries `peer` until it answers 200 (a validator backs off briefly after a failed
/// connect), failing the test after 10 s.
async fn served(validator: &Validator, peer: &Peer) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let result = validator
            .query_with_timeout(peer, &ping(), Duration::from_secs(5))
            .await;
        match result.outcome {
            Ok(reply) => {
                assert_eq!(reply.payload, b"ping");
                assert_eq!(reply.caller, validator.hotkey().to_ss58());
                return;
            }
            Err(e) => assert!(
                tokio::time::Instant::now() < deadline,
                "an honest validator is not served: {e}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A fresh honest validator gets an answer from `miner`, then shuts down.
async fn miner_still_serves(miner: &Miner) {
    let honest = validator().await;
    served(&honest, &miner.peer()).await;
    honest.shutdown().await;
}

// === relays and impostors ===

/// What a man in the middle does with the handshake.
#[derive(Debug, Clone, Copy)]
enum Mitm {
    /// Terminates the validator's TLS, opens its own TLS session to the miner and forwards
    /// the handshake bytes both ways; mirrors the miner's close back to the validator.
    Forward,
    /// Terminates the validator's TLS, authenticates to the miner as itself (a registered
    /// validator gone bad), and hands the miner's genuine response to the validator.
    OwnHandshake,
    /// No miner behind it: answers with its own key, claiming either its own hotkey or the
    /// dialled one.
    Impostor {
        /// Put the dialled hotkey in the response instead of its own.
        claim_dialled: bool,
    },
}

/// A QUIC server on loopback that plays a man in the middle for each connection it accepts.
struct Relay {
    addr: SocketAddr,
    endpoint: quinn::Endpoint,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    fn start(mode: Mitm, miner: Option<SocketAddr>) -> Self {
        let server = server_config(&TransportSettings::default()).expect("server TLS config");
        let endpoint = quinn::Endpoint::server(server, loopback()).expect("relay binds");
        let addr = endpoint.local_addr().expect("relay address");
        let accepting = endpoint.clone();
        let task = tokio::spawn(async move {
            let mut sessions = tokio::task::JoinSet::new();
            while let Some(incoming) = accepting.accept().await {
                sessions.spawn(async move {
                    let Ok(from_validator) = incoming.await else {
                        return;
                    };
                    relay_one(mode, miner, from_validator).await;
                });
            }
        });
        Self {
            addr,
            endpoint,
            task,
        }
    }

    async fn shutdown(self) {
        self.endpoint.close(0u32.into(), b"relay done");
        self.task.abort();
        let _ = tokio::time::timeout(Duration::from_secs(2), self.endpoint.wait_idle()).await;
    }
}

/// Dials the real miner with the relay's own TLS session.
async fn dial(miner: SocketAddr) -> quinn::Connection {
    let client = client_config(&TransportSettings::default()).expect("client TLS config");
    let mut endpoint = quinn::Endpoint::client(loopback()).expect("relay client binds");
    endpoint.set_default_client_config(client);
    endpoint
        .connect(miner, SERVER_NAME)
        .expect("connect parameters")
        .await
        .expect("relay reaches the miner")
}

async fn relay_one(mode: Mitm, miner: Option<SocketAddr>, from_validator: quinn::Connection) {
    let Ok((mut to_v, mut from_v)) = from_validator.accept_bi().await else {
        return;
    };
    let Ok((_, request)) = read_frame(
        &mut from_v,
        &[FrameType::HandshakeRequest],
        Limits::default().max_handshake_frame,
    )
    .await
    else {
        return;
    };
    let request: HandshakeRequest = decode_envelope(&request).expect("validator sends a request");
    match mode {
        Mitm::Forward => {
            let to_miner = dial(miner.expect("a miner behind the relay")).await;
            let (mut to_m, mut from_m) = to_miner.open_bi().await.expect("stream to the miner");
            let frame = encode_frame(FrameType::HandshakeRequest, &request).expect("encodes");
            write_frame(&mut to_m, &frame).await.expect("forwarded");
            let _ = to_m.finish();
            match read_frame(&mut from_m, &[FrameType::HandshakeResponse], 4096).await {
                Ok((header, payload)) => {
                    let frame = frame_bytes(header.ty, &payload).expect("frames");
                    let _ = write_frame(&mut to_v, &frame).await;
                    let _ = to_v.finish();
                }
                Err(_) => {
                    // Mirror the miner's verdict to the validator, word for word.
                    if let quinn::ConnectionError::ApplicationClosed(close) =
                        to_miner.closed().await
                    {
                        from_validator.close(close.error_code, &close.reason);
                    }
                }
            }
            from_validator.closed().await;
        }
        Mitm::OwnHandshake => {
            let to_miner = dial(miner.expect("a miner behind the relay")).await;
            let binding = session_binding(&to_miner).expect("exporter");
            let relay_key = Keypair::generate();
            let own = axonite::handshake::client_request(
                &relay_key,
                request.miner,
                NETUID,
                &binding,
                unix_millis(),
            );
            let (mut to_m, mut from_m) = to_miner.open_bi().await.expect("stream to the miner");
            let frame = encode_frame(FrameType::HandshakeRequest, &own).expect("encodes");
            write_frame(&mut to_m, &frame).await.expect("sent");
            let _ = to_m.finish();
            let (_, response) = read_frame(&mut from_m, &[FrameType::HandshakeResponse], 4096)
                .await
                .expect("the miner accepts the relay's own handshake");
            let frame = frame_bytes(FrameType::HandshakeResponse, &response).expect("frames");
            let _ = write_frame(&mut to_v, &frame).await;
            let _ = to_v.finish();
            from_validator.closed().await;
            to_miner.close(0u32.into(), b"relay done");
        }
        Mitm::Impostor { claim_dialled } => {
            // Holds its own key and answers on this very session, so only the identity is
            // wrong: claiming its own hotkey, or claiming the dialled one.
            let binding = session_binding(&from_validator).expect("exporter");
            let impostor = HandshakeVerifier::new(Keypair::generate(), ServerPolicy::new(NETUID));
            let mut response = impostor.respond(&request, &binding, unix_millis());
            if claim_dialled {
                response.miner = request.miner;
            }
            let frame = encode_frame(FrameType::HandshakeResponse, &response).expect("encodes");
            let _ = write_frame(&mut to_v, &frame).await;
            let _ = to_v.finish();
            from_validator.closed().await;
        }
    }
}

#[tokio::test]
async fn relayed_validator_handshake_is_rejected_by_the_miner() {
    bounded(60, async {
        let miner = echo_miner().await;
        let relay = Relay::start(Mitm::Forward, Some(miner.local_addr()));
        let validator = validator().await;

        // The validator dials the relay believing it is the miner.
        let result = validator
            .query_with_timeout(
                &Peer::new(miner.hotkey(), relay.addr),
                &ping(),
                Duration::from_secs(10),
            )
            .await;
        assert_eq!(
            result.status(),
            StatusCode::UNAUTHORIZED,
            "{:?}",
            result.outcome
        );
        // The miner refused: the validator's signature covers the validator<->relay session,
        // not relay<->miner. The relay forwarded the miner's verdict.
        match &result.outcome {
            Err(QueryError::Handshake(HandshakeFailure::ClosedByPeer(reason))) => {
                assert!(reason.contains("invalid handshake signature"), "{reason}");
            }
            other => panic!("expected the miner's refusal, got {other:?}"),
        }
        let stats = miner.stats();
        assert!(stats.handshakes_failed >= 1, "{stats:?}");
        assert_eq!(stats.handshakes_ok, 0, "{stats:?}");

        // The same validator dialling the miner directly is served.
        served(&validator, &miner.peer()).await;
        assert_eq!(miner.stats().handshakes_ok, 1);

        validator.shutdown().await;
        relay.shutdown().await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}

#[tokio::test]
async fn relayed_miner_response_is_rejected_by_the_validator() {
    bounded(60, async {
        let miner = echo_miner().await;
        let relay = Relay::start(Mitm::OwnHandshake, Some(miner.local_addr()));
        let validator = validator().await;

        let result = validator
            .query_with_timeout(
                &Peer::new(miner.hotkey(), relay.addr),
                &ping(),
                Duration::from_secs(10),
            )
            .await;
        // The miner's genuine signature covers the relay<->miner session and the relay's
        // nonce, so the validator refuses it.
        assert_eq!(
            result.outcome.as_ref().err(),
            Some(&QueryError::Handshake(HandshakeFailure::Refused(
                HandshakeError::BadSignature
            ))),
        );
        assert_eq!(result.status(), StatusCode::UNAUTHORIZED);
        // The miner did accept the relay's own handshake: this time the validator refused.
        let stats = miner.stats();
        assert_eq!(stats.handshakes_ok, 1, "{stats:?}");
        assert_eq!(stats.handshakes_failed, 0, "{stats:?}");

        served(&validator, &miner.peer()).await;
        validator.shutdown().await;
        relay.shutdown().await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}

#[tokio::test]
async fn impostor_miner_cannot_answer_for_another_hotkey() {
    bounded(60, async {
        let wanted = Keypair::generate().hotkey();
        for claim_dialled in [false, true] {
            let impostor = Relay::start(Mitm::Impostor { claim_dialled }, None);
            let validator = validator().await;
            let result = validator
                .query_with_timeout(
                    &Peer::new(wanted, impostor.addr),
                    &ping(),
                    Duration::from_secs(10),
                )
                .await;
            assert_eq!(result.status(), StatusCode::UNAUTHORIZED);
            match result.outcome {
                // Claiming the dialled hotkey: its signature does not verify for that key.
                Err(QueryError::Handshake(HandshakeFailure::Refused(
                    HandshakeError::BadSignature,
                ))) if claim_dialled => {}
                // Claiming its own hotkey: not the miner the validator dialled.
                Err(QueryError::Handshake(HandshakeFailure::Refused(
                    HandshakeError::UnexpectedMiner { expected, .. },
                ))) if !claim_dialled => assert_eq!(expected, wanted),
                other => panic!("claim_dialled={claim_dialled}: unexpected outcome {other:?}"),
            }
            assert_eq!(validator.connection_count(), 0);
            validator.shutdown().await;
            impostor.shutdown().await;
        }
    })
    .await;
}

// === forged requests ===

/// Sends `request` on `raw`, asserts the miner refuses it with `HandshakeRejected`, and
/// returns the close reason.
async fn refused(raw: &RawConnection, request: &HandshakeRequest) -> String {
    assert!(raw.handshake(request).await.is_err(), "the miner answered");
    raw.expect_closed_with(CloseCode::HandshakeRejected).await
}

#[tokio::test]
async fn replayed_handshake_is_rejected() {
    bounded(60, async {
        let miner = echo_miner().await;
        let keypair = Keypair::generate();

        // Connection A: an honest handshake, captured.
        let a = RawConnection::connect(miner.local_addr()).await.unwrap();
        let captured = a.handshake_request(&keypair, miner.hotkey());
        a.handshake(&captured).await.expect("A authenticates");

        // Connection B: the identical bytes. B's TLS session differs, so does the transcript.
        let b = RawConnection::connect(miner.local_addr()).await.unwrap();
        assert_ne!(a.binding(), b.binding());
        let reason = refused(&b, &captured).await;
        assert!(reason.contains("invalid handshake signature"), "{reason}");

        // On A itself the handshake cannot be replayed either: after authentication a
        // handshake frame on a new stream is a malformed request (400), not a re-login.
        let frame = encode_frame(FrameType::HandshakeRequest, &captured).unwrap();
        let mut recv = a.send_raw_request(&frame).await;
        let replay = axonite_e2e::raw::read_response(&mut recv).await;
        assert_eq!(replay.status, StatusCode::BAD_REQUEST, "{replay:?}");

        // A keeps serving its validator, the miner keeps serving everyone.
        let reply = a.request_typed("Echo", 5_000, &ping()).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        let stats = miner.stats();
        assert_eq!(stats.handshakes_ok, 1, "{stats:?}");
        assert_eq!(stats.handshakes_failed, 1, "{stats:?}");
        miner_still_serves(&miner).await;

        a.close().await;
        b.close().await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}

#[tokio::test]
async fn stale_and_future_timestamps_are_rejected() {
    bounded(60, async {
        let miner = echo_miner().await;
        let keypair = Keypair::generate();

        let raw = RawConnection::connect(miner.local_addr()).await.unwrap();
        let stale = raw.handshake_request_at(&keypair, miner.hotkey(), unix_millis() - 60_000);
        let reason = refused(&raw, &stale).await;
        assert!(reason.contains("stale handshake"), "{reason}");
        raw.close().await;

        let raw = RawConnection::connect(miner.local_addr()).await.unwrap();
        let future = raw.handshake_request_at(&keypair, miner.hotkey(), unix_millis() + 60_000);
        let reason = refused(&raw, &future).await;
        assert!(reason.contains("in the future"), "{reason}");
        raw.close().await;

        assert_eq!(miner.stats().handshakes_failed, 2);
        assert_eq!(miner.stats().handshakes_ok, 0);
        // The same key with a correct clock is fine.
        let honest = validator_with(keypair).await;
        served(&honest, &miner.peer()).await;
        honest.shutdown().await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}

#[tokio::test]
async fn signature_by_another_key_is_rejected() {
    bounded(60, async {
        let miner = echo_miner().await;
        let (victim, forger) = (Keypair::generate(), Keypair::generate());

        let raw = RawConnection::connect(miner.local_addr()).await.unwrap();
        let mut forged = raw.handshake_request(&forger, miner.hotkey());
        forged.validator = victim.hotkey();
        let reason = refused(&raw, &forged).await;
        assert!(reason.contains("invalid handshake signature"), "{reason}");
        raw.close().await;

        // A request whose fields were edited after signing fails the same way.
        let raw = RawConnection::connect(miner.local_addr()).await.unwrap();
        let mut edited = raw.handshake_request(&victim, miner.hotkey());
        edited.timestamp_ms += 1;
        let reason = refused(&raw, &edited).await;
        assert!(reason.contains("invalid handshake signature"), "{reason}");
        raw.close().await;

        assert_eq!(miner.stats().handshakes_ok, 0);
        miner_still_serves(&miner).await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}

#[tokio::test]
async fn handshake_for_another_miner_is_rejected() {
    bounded(60, async {
        let miner = echo_miner().await;
        let other = Keypair::generate().hotkey();

        // A raw request aimed at another miner's hotkey, validly signed on this session.
        let raw = RawConnection::connect(miner.local_addr()).await.unwrap();
        let request = raw.handshake_request(&Keypair::generate(), other);
        let reason = refused(&raw, &request).await;
        assert!(reason.contains("is addressed to"), "{reason}");
        assert!(reason.contains(&other.to_ss58()), "{reason}");
        raw.close().await;

        // A real validator given the wrong hotkey for this address gets a handshake failure.
        let validator = validator().await;
        let result = validator
            .query_with_timeout(
                &Peer::new(other, miner.local_addr()),
                &ping(),
                Duration::from_secs(10),
            )
            .await;
        assert_eq!(
            result.status(),
            StatusCode::UNAUTHORIZED,
            "{:?}",
            result.outcome
        );
        assert!(
            matches!(result.outcome, Err(QueryError::Handshake(_))),
            "{:?}",
            result.outcome
        );
        assert_eq!(validator.connection_count(), 0);
        assert_eq!(miner.stats().handshakes_failed, 2);
        assert_eq!(miner.stats().handshakes_ok, 0);

        // With the right hotkey the same validator is served.
        served(&validator, &miner.peer()).await;
        validator.shutdown().await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}

// === garbage before authentication ===

#[tokio::test]
async fn garbage_before_the_handshake_is_a_protocol_violation() {
    bounded(60, async {
        let miner = echo_miner().await;

        let head = RequestHead {
            synapse: "Echo".into(),
            request_id: 1,
            timeout_ms: 1_000,
        };
        let mut truncated = FrameHeader::encode(FrameType::HandshakeRequest, 200).to_vec();
        truncated.extend_from_slice(&[0u8; 20]);
        let mut undecodable = FrameHeader::encode(FrameType::HandshakeRequest, 8).to_vec();
        undecodable.extend_from_slice(&[0xc1; 8]);
        let cases: Vec<(&str, Vec<u8>, bool)> = vec![
            // 64 bytes that start with no known frame type.
            (
                "random bytes",
                (0..64u8).map(|i| i.wrapping_mul(97) | 0x80).collect(),
                true,
            ),
            // A request where the handshake belongs.
            (
                "request head first",
                encode_frame(FrameType::RequestHead, &head).unwrap(),
                true,
            ),
            // A handshake frame declaring 1 MiB: refused from the header, stream left open.
            (
                "1 MiB handshake",
                FrameHeader::encode(FrameType::HandshakeRequest, 1 << 20).to_vec(),
                false,
            ),
            ("truncated handshake", truncated, true),
            ("undecodable handshake", undecodable, true),
        ];
        let count = cases.len() as u64;
        for (what, bytes, finish) in cases {
            let raw = RawConnection::connect(miner.local_addr()).await.unwrap();
            let _streams = raw.send_handshake_bytes(&bytes, finish).await.unwrap();
            let error = raw.closed().await;
            let close = axonite_e2e::raw::application_close(&error);
            assert!(
                matches!(close, Some((CloseCode::ProtocolViolation, _))),
                "{what}: {error}"
            );
            raw.close().await;
        }
        assert_eq!(miner.stats().handshakes_failed, count);
        assert_eq!(miner.stats().handshakes_ok, 0);
        assert_eq!(miner.stats().pending_handshakes, 0);
        miner_still_serves(&miner).await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}

#[tokio::test]
async fn bytes_after_the_handshake_frame_are_a_protocol_violation() {
    bounded(60, async {
        let miner = echo_miner().await;
        let raw = RawConnection::connect(miner.local_addr()).await.unwrap();
        // An honest, correctly signed request, but not the stream's only frame.
        let request = raw.handshake_request(&Keypair::generate(), miner.hotkey());
        let mut bytes = encode_frame(FrameType::HandshakeRequest, &request).unwrap();
        bytes.push(0);
        let _streams = raw.send_handshake_bytes(&bytes, true).await.unwrap();
        let reason = raw.expect_closed_with(CloseCode::ProtocolViolation).await;
        assert!(reason.contains("bytes after the last frame"), "{reason}");
        assert_eq!(miner.stats().handshakes_ok, 0);
        raw.close().await;
        miner_still_serves(&miner).await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}

#[tokio::test]
async fn wrong_alpn_fails_tls_and_the_miner_keeps_serving() {
    bounded(60, async {
        let miner = echo_miner().await;
        let endpoint = client_endpoint_with_alpn(b"h3");
        let result = RawConnection::connect_from(endpoint.clone(), miner.local_addr()).await;
        let error = result.expect_err("a miner speaks only axonite/1");
        assert!(
            matches!(error, quinn::ConnectionError::ConnectionClosed(_)),
            "{error}"
        );
        eventually("the miner counts the failed TLS handshake", || {
            miner.stats().handshakes_failed >= 1
        })
        .await;
        assert_eq!(miner.stats().handshakes_ok, 0);
        endpoint.close(0u32.into(), b"");
        miner_still_serves(&miner).await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}

// === silent clients and caps ===

#[tokio::test]
async fn silent_client_is_closed_at_the_handshake_deadline() {
    bounded(60, async {
        // Long enough that an honest validator is surely served while the others are still
        // pending, short enough to keep the test quick.
        let miner = miner_builder()
            .configure(|c| c.handshake_timeout = Duration::from_secs(2))
            .handler::<Echo, _>(EchoMiner)
            .start()
            .await
            .unwrap();

        // One connects and never opens a stream; one starts a handshake frame and stalls.
        let silent = RawConnection::connect(miner.local_addr()).await.unwrap();
        let stalling = RawConnection::connect(miner.local_addr()).await.unwrap();
        let mut partial = FrameHeader::encode(FrameType::HandshakeRequest, 150).to_vec();
        partial.extend_from_slice(&[0u8; 10]);
        let _streams = stalling
            .send_handshake_bytes(&partial, false)
            .await
            .unwrap();
        eventually("both are pending", || miner.stats().pending_handshakes == 2).await;

        // Meanwhile an honest validator is served.
        miner_still_serves(&miner).await;
        assert!(silent.connection().close_reason().is_none());
        assert!(stalling.connection().close_reason().is_none());

        let reason = silent.expect_closed_with(CloseCode::HandshakeTimeout).await;
        assert_eq!(reason, "handshake timeout");
        stalling
            .expect_closed_with(CloseCode::HandshakeTimeout)
            .await;
        let stats = miner.stats();
        assert_eq!(stats.handshakes_timed_out, 2, "{stats:?}");
        assert_eq!(stats.pending_handshakes, 0, "{stats:?}");
        silent.close().await;
        stalling.close().await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}

#[tokio::test]
async fn pending_handshake_cap_per_ip_refuses_extra_connections() {
    bounded(60, async {
        let miner = miner_builder()
            .configure(|c| {
                c.max_pending_per_ip = 2;
                c.handshake_timeout = Duration::from_secs(1);
            })
            .handler::<Echo, _>(EchoMiner)
            .start()
            .await
            .unwrap();

        let mut idle = Vec::new();
        let mut refused = 0;
        for _ in 0..5 {
            match RawConnection::connect(miner.local_addr()).await {
                Ok(raw) => idle.push(raw),
                Err(e) => {
                    assert!(
                        matches!(e, quinn::ConnectionError::ConnectionClosed(_)),
                        "{e}"
                    );
                    refused += 1;
                }
            }
        }
        assert_eq!(idle.len(), 2, "only the cap is admitted");
        assert_eq!(refused, 3);
        assert_eq!(miner.stats().refused_busy, 3);
        assert_eq!(miner.stats().pending_handshakes, 2);

        // Once the idle ones time out, the slots are free again.
        for raw in idle {
            raw.expect_closed_with(CloseCode::HandshakeTimeout).await;
            raw.close().await;
        }
        eventually("slots released", || miner.stats().pending_handshakes == 0).await;
        assert_eq!(miner.stats().handshakes_timed_out, 2);
        miner_still_serves(&miner).await;
        assert_eq!(miner.stats().refused_busy, 3);
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}

#[tokio::test]
async fn validator_outside_the_allowlist_is_not_admitted() {
    bounded(60, async {
        let allowed = Keypair::generate();
        let miner = miner_builder()
            .allow_validators([allowed.hotkey()])
            .handler::<Echo, _>(EchoMiner)
            .start()
            .await
            .unwrap();

        // Another validator proves its key but is not on the list.
        let outsider = validator().await;
        let result = outsider
            .query_with_timeout(&miner.peer(), &ping(), Duration::from_secs(10))
            .await;
        assert_eq!(
            result.status(),
            StatusCode::UNAUTHORIZED,
            "{:?}",
            result.outcome
        );
        match &result.outcome {
            Err(QueryError::Handshake(HandshakeFailure::ClosedByPeer(reason))) => {
                assert!(reason.contains("is not admitted"), "{reason}");
            }
            other => panic!("expected NotAdmitted, got {other:?}"),
        }
        outsider.shutdown().await;

        // Raw: the miner closes with HandshakeRejected and names the reason.
        let raw = RawConnection::connect(miner.local_addr()).await.unwrap();
        let request = raw.handshake_request(&Keypair::generate(), miner.hotkey());
        let reason = refused(&raw, &request).await;
        assert!(reason.contains("not in the allowed validators"), "{reason}");
        raw.close().await;
        assert_eq!(miner.stats().handshakes_failed, 2);

        // The allowed one is served.
        let insider = validator_with(allowed).await;
        served(&insider, &miner.peer()).await;
        assert_eq!(miner.stats().handshakes_ok, 1);
        insider.shutdown().await;
        miner.shutdown(Duration::from_secs(2)).await;
    })
    .await;
}
