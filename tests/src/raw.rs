//! A raw `axonite/1` client for attack tests: it speaks the wire protocol frame by frame, so a
//! test can send what a real [`Validator`](axonite_actors::Validator) never would (forged or
//! replayed handshakes, garbage, oversized frames, hand-made request streams) and read exactly
//! what the miner answers.
//!
//! ```no_run
//! # async fn demo(miner: &axonite_actors::Miner) {
//! use axonite::Keypair;
//! use axonite::protocol::CloseCode;
//! use axonite_e2e::raw::RawConnection;
//!
//! // A request signed by another key than the one it claims is refused.
//! let raw = RawConnection::connect(miner.local_addr()).await.unwrap();
//! let mut request = raw.handshake_request(&Keypair::generate(), miner.hotkey());
//! request.validator = Keypair::generate().hotkey();
//! assert!(raw.handshake(&request).await.is_err());
//! raw.expect_closed_with(CloseCode::HandshakeRejected).await;
//! # }
//! ```

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axonite::handshake::{SessionBinding, client_request, unix_millis, verify_server_response};
use axonite::protocol::codec::{decode_body, decode_envelope, encode_body, encode_frame};
use axonite::protocol::{
    CloseCode, FrameType, HandshakeRequest, HandshakeResponse, LaneResponseHead, Limits,
    PROTOCOL_NAME, RequestHead, ResponseHead, StatusCode,
};
use axonite::transport::{
    ReadFrameError, SERVER_NAME, TransportSettings, client_config_with_alpn, read_frame,
    read_header, read_payload, session_binding, write_frame, write_payload_frame,
};
use axonite::{Hotkey, Keypair};
use axonite_actors::Miner;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{NETUID, loopback};

/// A QUIC client endpoint on loopback offering ALPN `alpn`.
pub fn client_endpoint_with_alpn(alpn: &[u8]) -> quinn::Endpoint {
    let config = client_config_with_alpn(&TransportSettings::default(), alpn)
        .expect("client TLS config builds");
    let mut endpoint = quinn::Endpoint::client(loopback()).expect("client endpoint binds");
    endpoint.set_default_client_config(config);
    endpoint
}

/// A QUIC client endpoint on loopback offering ALPN `axonite/1`.
pub fn client_endpoint() -> quinn::Endpoint {
    client_endpoint_with_alpn(PROTOCOL_NAME.as_bytes())
}

/// A QUIC client endpoint offering ALPN `axonite/1` from `ip` (any 127.0.0.0/8 address: a
/// test can play many clients at distinct source addresses), with `settings` (a short idle
/// timeout makes a dial the miner never answers fail fast).
pub fn client_endpoint_at(ip: IpAddr, settings: &TransportSettings) -> quinn::Endpoint {
    assert!(ip.is_loopback(), "tests bind only to loopback");
    let config = client_config_with_alpn(settings, PROTOCOL_NAME.as_bytes())
        .expect("client TLS config builds");
    let mut endpoint =
        quinn::Endpoint::client(SocketAddr::new(ip, 0)).expect("client endpoint binds");
    endpoint.set_default_client_config(config);
    endpoint
}

/// The close code and reason of a connection the peer closed at the application level, or
/// `None` for any other end (transport error, timeout, local close).
pub fn application_close(error: &quinn::ConnectionError) -> Option<(CloseCode, String)> {
    match error {
        quinn::ConnectionError::ApplicationClosed(close) => Some((
            CloseCode::from_code(close.error_code.into_inner())?,
            String::from_utf8_lossy(&close.reason).into_owned(),
        )),
        _ => None,
    }
}

/// One QUIC connection to a miner, driven by hand.
#[derive(Debug)]
pub struct RawConnection {
    endpoint: quinn::Endpoint,
    conn: quinn::Connection,
    binding: SessionBinding,
}

impl RawConnection {
    /// Dials `addr` over TLS (ALPN `axonite/1`); no handshake is sent yet.
    pub async fn connect(addr: SocketAddr) -> Result<Self, quinn::ConnectionError> {
        Self::connect_from(client_endpoint(), addr).await
    }

    /// Dials `addr` from `endpoint` (for example one with another ALPN).
    pub async fn connect_from(
        endpoint: quinn::Endpoint,
        addr: SocketAddr,
    ) -> Result<Self, quinn::ConnectionError> {
        let conn = endpoint
            .connect(addr, SERVER_NAME)
            .expect("connect parameters are valid")
            .await?;
        let binding = session_binding(&conn).expect("TLS exporter works");
        Ok(Self {
            endpoint,
            conn,
            binding,
        })
    }

    /// Dials `miner`, proves `keypair` in an honest handshake and checks the miner's answer.
    pub async fn authenticated(miner: &Miner, keypair: &Keypair) -> Self {
        let raw = Self::connect(miner.local_addr())
            .await
            .expect("TLS to the miner completes");
        let request = raw.handshake_request(keypair, miner.hotkey());
        let response = raw
            .handshake(&request)
            .await
            .expect("honest handshake is accepted");
        verify_server_response(&response, &request, &raw.binding)
            .expect("the miner's response is bound to this session");
        raw
    }

    /// The QUIC connection.
    pub fn connection(&self) -> &quinn::Connection {
        &self.conn
    }

    /// The TLS exporter binding of this connection.
    pub fn binding(&self) -> SessionBinding {
        self.binding
    }

    /// An honest handshake request for `miner` on this session, signed now.
    pub fn handshake_request(&self, keypair: &Keypair, miner: Hotkey) -> HandshakeRequest {
        self.handshake_request_at(keypair, miner, unix_millis())
    }

    /// A handshake request for `miner` on this session, signed with timestamp `now_ms`.
    pub fn handshake_request_at(
        &self,
        keypair: &Keypair,
        miner: Hotkey,
        now_ms: u64,
    ) -> HandshakeRequest {
        client_request(keypair, miner, NETUID, &self.binding, now_ms)
    }

    /// Sends `request` as the handshake frame and reads the miner's response. An `Err`
    /// carries the read failure (for a refused handshake: the connection was closed).
    pub async fn handshake(&self, request: &HandshakeRequest) -> Result<HandshakeResponse, String> {
        let frame = encode_frame(FrameType::HandshakeRequest, request).expect("request encodes");
        let (_send, mut recv) = self.send_handshake_bytes(&frame, true).await?;
        let (_, payload) = read_frame(
            &mut recv,
            &[FrameType::HandshakeResponse],
            Limits::default().max_handshake_frame,
        )
        .await
        .map_err(|e| e.to_string())?;
        decode_envelope(&payload).map_err(|e| e.to_string())
    }

    /// Opens the first stream and writes `bytes` on it, finishing it when `finish` is true.
    /// The streams are returned so the caller decides when they drop.
    pub async fn send_handshake_bytes(
        &self,
        bytes: &[u8],
        finish: bool,
    ) -> Result<(quinn::SendStream, quinn::RecvStream), String> {
        let (mut send, recv) = self.conn.open_bi().await.map_err(|e| e.to_string())?;
        write_frame(&mut send, bytes).await?;
        if finish {
            send.finish().map_err(|e| e.to_string())?;
        }
        Ok((send, recv))
    }

    /// Waits until the connection closes and returns why.
    pub async fn closed(&self) -> quinn::ConnectionError {
        self.conn.closed().await
    }

    /// Waits until the peer closes the connection and asserts it used `code`; returns the
    /// reason the peer gave.
    pub async fn expect_closed_with(&self, code: CloseCode) -> String {
        let error = self.closed().await;
        match application_close(&error) {
            Some((got, reason)) => {
                assert_eq!(
                    got, code,
                    "closed with {got:?} ({reason}), expected {code:?}"
                );
                reason
            }
            None => panic!("expected an application close with {code:?}, got {error}"),
        }
    }

    /// Opens a request stream and sends a head and a body frame, then finishes the stream.
    pub async fn send_request(
        &self,
        synapse: &str,
        timeout_ms: u32,
        body: &[u8],
    ) -> quinn::RecvStream {
        let (mut send, recv) = self.open_request(synapse, timeout_ms).await;
        // A miner refusing the request may stop the stream early; its answer is what counts.
        let _ = write_payload_frame(&mut send, FrameType::Body, body).await;
        let _ = send.finish();
        recv
    }

    /// Opens a request stream and sends only the head; the caller writes the rest.
    pub async fn open_request(
        &self,
        synapse: &str,
        timeout_ms: u32,
    ) -> (quinn::SendStream, quinn::RecvStream) {
        let (mut send, recv) = self.conn.open_bi().await.expect("request stream opens");
        let head = RequestHead {
            synapse: Cow::Borrowed(synapse),
            request_id: 1,
            timeout_ms,
        };
        let frame = encode_frame(FrameType::RequestHead, &head).expect("head encodes");
        write_frame(&mut send, &frame)
            .await
            .expect("head is written");
        (send, recv)
    }

    /// Opens a request stream, writes `bytes` verbatim and finishes it (a miner may stop the
    /// stream early; write errors are left to the answer to explain).
    pub async fn send_raw_request(&self, bytes: &[u8]) -> quinn::RecvStream {
        let (mut send, recv) = self.conn.open_bi().await.expect("request stream opens");
        let _ = write_frame(&mut send, bytes).await;
        let _ = send.finish();
        recv
    }

    /// One unary request with an already-encoded body; returns the miner's answer.
    pub async fn request(&self, synapse: &str, timeout_ms: u32, body: &[u8]) -> RawResponse {
        let mut recv = self.send_request(synapse, timeout_ms, body).await;
        read_response(&mut recv).await
    }

    /// One unary request of synapse `name` with `body` encoded as MessagePack.
    pub async fn request_typed<T: Serialize>(
        &self,
        synapse: &str,
        timeout_ms: u32,
        body: &T,
    ) -> RawResponse {
        let body = encode_body(body).expect("body encodes");
        self.request(synapse, timeout_ms, &body).await
    }

    /// Opens a stream to use as a lane (see [`axonite::protocol`]); nothing is sent yet, so
    /// the miner learns of it with the first request written on it.
    pub async fn open_lane(&self) -> RawLane {
        let (send, recv) = self.conn.open_bi().await.expect("lane stream opens");
        RawLane { send, recv }
    }

    /// Closes the connection and lets the endpoint say goodbye.
    pub async fn close(self) {
        self.conn
            .close(CloseCode::Normal.code().into(), b"test done");
        let _ = tokio::time::timeout(Duration::from_secs(2), self.endpoint.wait_idle()).await;
    }
}

/// A miner's answer to one raw request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawResponse {
    /// The status in the response head.
    pub status: StatusCode,
    /// The message in the response head.
    pub message: String,
    /// The body frame's payload, present on 200.
    pub body: Option<Vec<u8>>,
}

impl RawResponse {
    /// Decodes the body as `T`, panicking when there is none or it does not decode.
    pub fn decode<T: DeserializeOwned>(&self) -> T {
        let body = self.body.as_deref().expect("response has a body");
        decode_body(body, 64).expect("response body decodes")
    }
}

/// A lane driven by hand: requests are written frame by frame, answers read one at a time in
/// the order the miner sends them.
#[derive(Debug)]
pub struct RawLane {
    send: quinn::SendStream,
    recv: quinn::RecvStream,
}

impl RawLane {
    /// Sends one request on the lane: a `LaneRequestHead` frame, then a `Body` frame with
    /// `body`. An `Err` is the write failure (the miner stopped or reset the lane).
    pub async fn send(
        &mut self,
        synapse: &str,
        request_id: u64,
        timeout_ms: u32,
        body: &[u8],
    ) -> Result<(), String> {
        self.send_head(synapse, request_id, timeout_ms).await?;
        write_payload_frame(&mut self.send, FrameType::Body, body).await
    }

    /// Sends one request on the lane with `body` encoded as MessagePack.
    pub async fn send_typed<T: Serialize>(
        &mut self,
        synapse: &str,
        request_id: u64,
        timeout_ms: u32,
        body: &T,
    ) -> Result<(), String> {
        let body = encode_body(body).expect("body encodes");
        self.send(synapse, request_id, timeout_ms, &body).await
    }

    /// Sends only a `LaneRequestHead` frame; the caller writes the body (or does not).
    pub async fn send_head(
        &mut self,
        synapse: &str,
        request_id: u64,
        timeout_ms: u32,
    ) -> Result<(), String> {
        let head = RequestHead {
            synapse: Cow::Borrowed(synapse),
            request_id,
            timeout_ms,
        };
        let frame = encode_frame(FrameType::LaneRequestHead, &head).expect("head encodes");
        write_frame(&mut self.send, &frame).await
    }

    /// Writes `bytes` verbatim on the lane.
    pub async fn send_raw(&mut self, bytes: &[u8]) -> Result<(), String> {
        write_frame(&mut self.send, bytes).await
    }

    /// Reads the next answer on the lane: a `LaneResponseHead`, then its body on 200. An
    /// `Err` says why none could be read (for a reset lane: a stream error).
    pub async fn read_answer(&mut self) -> Result<RawLaneAnswer, ReadFrameError> {
        let limits = Limits::default();
        let header = read_header(
            &mut self.recv,
            &[FrameType::LaneResponseHead],
            limits.max_head_frame,
        )
        .await?;
        let head = read_payload(&mut self.recv, header).await?;
        let head: LaneResponseHead<'_> = decode_envelope(&head).expect("lane head decodes");
        let status = StatusCode(head.status);
        let body = if status.is_success() {
            let (_, body) =
                read_frame(&mut self.recv, &[FrameType::Body], limits.max_response_body).await?;
            Some(body)
        } else {
            None
        };
        Ok(RawLaneAnswer {
            request_id: head.request_id,
            status,
            message: head.message.into_owned(),
            body,
        })
    }

    /// Reads `n` answers, panicking if the lane fails before they all arrive.
    pub async fn read_answers(&mut self, n: usize) -> Vec<RawLaneAnswer> {
        let mut answers = Vec::with_capacity(n);
        for _ in 0..n {
            answers.push(self.read_answer().await.expect("lane answer arrives"));
        }
        answers
    }

    /// Reads (and drops) whatever the miner still sends on the lane until it ends, and
    /// returns the error code if the miner reset it; `None` if it finished it cleanly or
    /// the connection ended.
    pub async fn reset_code(&mut self) -> Option<u64> {
        let mut buf = [0u8; 4096];
        loop {
            match self.recv.read(&mut buf).await {
                Ok(Some(_)) => {}
                Ok(None) => return None,
                Err(quinn::ReadError::Reset(code)) => return Some(code.into_inner()),
                Err(_) => return None,
            }
        }
    }

    /// Waits until the miner stops reading the lane (STOP_SENDING) and returns its error
    /// code; `None` if the lane ended otherwise (all data acknowledged, connection lost).
    pub async fn stopped_code(&self) -> Option<u64> {
        match self.send.stopped().await {
            Ok(Some(code)) => Some(code.into_inner()),
            _ => None,
        }
    }

    /// Finishes the sending side: no more requests on this lane.
    pub fn finish(&mut self) {
        let _ = self.send.finish();
    }
}

/// A miner's answer to one request on a lane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLaneAnswer {
    /// The request this answers.
    pub request_id: u64,
    /// The status in the answer's head.
    pub status: StatusCode,
    /// The message in the answer's head.
    pub message: String,
    /// The body frame's payload, present on 200.
    pub body: Option<Vec<u8>>,
}

impl RawLaneAnswer {
    /// Decodes the body as `T`, panicking when there is none or it does not decode.
    pub fn decode<T: DeserializeOwned>(&self) -> T {
        let body = self.body.as_deref().expect("lane answer has a body");
        decode_body(body, 64).expect("lane answer body decodes")
    }
}

/// Reads a unary response (head, then the body on 200) from a request stream.
pub async fn read_response(recv: &mut quinn::RecvStream) -> RawResponse {
    let limits = Limits::default();
    let (_, head) = read_frame(recv, &[FrameType::ResponseHead], limits.max_head_frame)
        .await
        .expect("response head arrives");
    let head: ResponseHead<'_> = decode_envelope(&head).expect("response head decodes");
    let status = StatusCode(head.status);
    let body = if status.is_success() {
        let (_, body) = read_frame(recv, &[FrameType::Body], limits.max_response_body)
            .await
            .expect("response body arrives");
        Some(body)
    } else {
        None
    };
    RawResponse {
        status,
        message: head.message.into_owned(),
        body,
    }
}

/// Polls `condition` every 10 ms until it holds, failing the test after 20 s.
pub async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "still waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
