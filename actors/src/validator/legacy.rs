//! Querying miners that still run the SDK's Python axon: HTTP/1.1 POSTs signed as a
//! bittensor 10 dendrite signs them, over keep-alive connections, bounded in time and size.
//!
//! Answers over legacy HTTP are not authenticated (plain HTTP, as with the SDK's own
//! dendrite): only the request is signed. Axonite miners are queried over QUIC instead.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axonite::StatusCode;
use axonite::identity::Keypair;
use axonite::legacy::{LegacyCall, LegacySynapse, LegacyTarget, now_ns};
use axonite::peer::Peer;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::result::QueryError;

/// What a validator reports as its own address in `bt_header_dendrite_ip` (the SDK puts its
/// public IP there; nothing checks it).
const OWN_IP: &str = "0.0.0.0";

/// How long an idle keep-alive connection to a Python axon is kept.
const IDLE: Duration = Duration::from_secs(60);

/// The legacy HTTP client of one validator.
pub(crate) struct LegacyClient {
    http: Client<HttpConnector, Full<Bytes>>,
    /// This dendrite instance's uuid: axons track nonces per (hotkey, uuid).
    uuid: String,
    last_nonce: AtomicU64,
}

impl LegacyClient {
    pub(crate) fn new() -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let http = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(IDLE)
            .build(connector);
        Self {
            http,
            uuid: random_uuid(),
            last_nonce: AtomicU64::new(0),
        }
    }

    /// A nonce above every earlier one: the time in ns, or one more than the last.
    fn next_nonce(&self) -> u64 {
        let now = now_ns();
        let previous = self
            .last_nonce
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |last| {
                Some(now.max(last.saturating_add(1)))
            })
            .unwrap_or(now);
        now.max(previous.saturating_add(1))
    }

    /// Sends `request` to `peer`'s axon and reads the answer: the response and the axon's
    /// reported process time, or why there is none. The caller bounds the time.
    pub(crate) async fn query<S: LegacySynapse>(
        &self,
        keypair: &Keypair,
        peer: &Peer,
        request: &S,
        timeout: Duration,
        max_body: usize,
    ) -> (Option<Duration>, Result<S::Response, QueryError>) {
        let target = LegacyTarget {
            axon: &peer.hotkey,
            addr: peer.addr,
            uuid: &self.uuid,
            nonce: self.next_nonce(),
            own_ip: OWN_IP,
        };
        let call = match LegacyCall::new(request, keypair, target, timeout) {
            Ok(call) => call,
            Err(e) => return (None, Err(QueryError::Encode(e.to_string()))),
        };
        let mut http = hyper::Request::post(format!("http://{}{}", peer.addr, call.path));
        for (name, value) in &call.headers {
            http = http.header(name.as_str(), value.as_str());
        }
        let http = match http.body(Full::new(Bytes::from(call.body))) {
            Ok(http) => http,
            Err(e) => return (None, Err(QueryError::Encode(e.to_string()))),
        };
        let response = match self.http.request(http).await {
            Ok(response) => response,
            Err(e) if e.is_connect() => return (None, Err(QueryError::Unreachable(e.to_string()))),
            Err(e) => return (None, Err(QueryError::Connection(e.to_string()))),
        };
        let status = response.status().as_u16();
        let process_time = response
            .headers()
            .get("bt_header_axon_process_time")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|t| t.is_finite() && *t >= 0.0)
            .and_then(|t| Duration::try_from_secs_f64(t).ok());
        let body = match Limited::new(response.into_body(), max_body).collect().await {
            Ok(body) => body.to_bytes(),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                return (
                    process_time,
                    Err(QueryError::Protocol(format!(
                        "response body over the limit of {max_body} bytes"
                    ))),
                );
            }
            Err(e) => return (process_time, Err(QueryError::Connection(e.to_string()))),
        };
        if status != 200 {
            return (process_time, Err(refusal(status, &body)));
        }
        let outcome =
            S::response_from_legacy_json(&body).map_err(|e| QueryError::Decode(e.to_string()));
        (process_time, outcome)
    }
}

/// A non-200 answer: the status, and the axon's `{"message": ...}` when it sent one.
fn refusal(status: u16, body: &[u8]) -> QueryError {
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
        .unwrap_or_default();
    QueryError::Status {
        status: StatusCode(status),
        message: crate::text::truncate(&message, 256).to_owned(),
    }
}

/// A random version-4 uuid in its text form, as the SDK's `uuid` fields hold.
fn random_uuid() -> String {
    let mut bytes: [u8; 16] = rand::random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_only_grow_and_uuids_look_like_uuids() {
        let client = LegacyClient::new();
        let mut last = 0;
        for _ in 0..1_000 {
            let nonce = client.next_nonce();
            assert!(nonce > last);
            last = nonce;
        }
        let uuid = random_uuid();
        assert_eq!(uuid.len(), 36);
        assert_eq!(uuid.as_bytes()[14], b'4');
        assert_ne!(uuid, random_uuid());
    }

    #[test]
    fn refusals_carry_the_axons_status_and_message() {
        let e = refusal(403, br#"{"message": "Forbidden. Key is blacklisted"}"#);
        assert_eq!(
            e,
            QueryError::Status {
                status: StatusCode(403),
                message: "Forbidden. Key is blacklisted".into()
            }
        );
        assert_eq!(e.status(), StatusCode(403));
        assert!(
            matches!(refusal(500, b"<html>"), QueryError::Status { status, .. } if status == StatusCode(500))
        );
    }
}
