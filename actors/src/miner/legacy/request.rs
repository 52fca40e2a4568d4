//! One legacy HTTP request, as a pipeline of named steps like the QUIC one:
//! method (405) → route (404) → authenticate: btauth/1 (body first, 401) or the bittensor 10
//! headers (400) and signature over the claimed body hash (401) → gate (403) → rate limit
//! (429) → body under its limit (413) and deadline (408) → body hash (400) and nonce (401) →
//! admit: decode, verify, blacklist, priority (400/401/403) → the synapse's shared queue
//! (503) → handler under the deadline (408/500) → the SDK's response.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use axonite::StatusCode;
use axonite::handler::{Caller, RequestContext};
use axonite::legacy::{
    BtAuthError, HEADER_SIGNATURE, LegacyError, LegacyRequest, LegacyResponse, LegacyService,
    TerminalInfo, now_ns, synapse_name_from_path,
};
use axonite::service::{Refusal, Work};
use bytes::Bytes;
use futures_util::FutureExt;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, HeaderValue};
use hyper::{Method, Request, Response};
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::super::caller::{admit, caller_from};
use super::super::request::await_outcome;
use super::super::shared::{InFlight, MinerShared, Route};
use super::LegacyShared;
use crate::handler::{Job, Reply};
use crate::time::deadline_after;

/// Who asked, once authenticated, and what the answer's `dendrite` terminal echoes.
struct Authenticated {
    hotkey: axonite::Hotkey,
    /// The bittensor 10 request, when that was the scheme (its nonce is accepted once the
    /// body is read).
    legacy: Option<LegacyRequest>,
    dendrite: TerminalInfo,
    timeout: Option<f64>,
}

/// A refusal and the route it belongs to, if the synapse was known.
type Refused<'s> = (Option<&'s Route>, Refusal);

/// Answers one HTTP request. Never panics on peer input; every refusal is an SDK-shaped
/// error response.
pub(crate) async fn serve_http(
    shared: Arc<MinerShared>,
    request: Request<Incoming>,
    remote: std::net::SocketAddr,
) -> Response<Full<Bytes>> {
    let received = Instant::now();
    let _in_flight = InFlight::enter(&shared);
    let Some(legacy) = shared.legacy.as_ref() else {
        return plain(StatusCode::NOT_FOUND, "no legacy synapses here");
    };
    let name = request.uri().path().to_owned();
    match answer(&shared, legacy, request, remote, received).await {
        Ok(response) => response,
        Err((route, refusal)) => {
            let status = refusal.status;
            match route {
                Some(route) => {
                    route.tally.record(status);
                    route.latency.record(received.elapsed());
                }
                None => shared.unrouted.record(status),
            }
            tracing::debug!(%remote, path = %crate::text::truncate(&name, 64), status = status.0,
                reason = %refusal.message, "legacy request refused");
            let axon = axon_terminal(legacy, received);
            let synapse = name.trim_start_matches('/');
            let synapse = synapse.get(..synapse.len().min(128)).unwrap_or("");
            into_http(LegacyResponse::error(
                status,
                &refusal.message,
                synapse,
                None,
                axon,
                &TerminalInfo::default(),
            ))
        }
    }
}

async fn answer<'s>(
    shared: &'s MinerShared,
    legacy: &'s LegacyShared,
    request: Request<Incoming>,
    remote: std::net::SocketAddr,
    received: Instant,
) -> Result<Response<Full<Bytes>>, Refused<'s>> {
    let config = &shared.config;
    // Method and route: nothing is read or verified for a request nobody serves.
    if request.method() != Method::POST {
        return Err((None, Refusal::new(StatusCode(405), "only POST is served")));
    }
    let service = {
        let path = request.uri().path();
        let name = synapse_name_from_path(path).map_err(|e| (None, refusal(&e)))?;
        legacy
            .routes
            .get(name)
            .ok_or_else(|| (None, refusal(&LegacyError::UnknownSynapse)))?
    };
    let name = service.service.name();
    let route: &Route = shared
        .routes
        .get(service.synapse)
        .map(|r| &**r)
        .ok_or_else(|| {
            (
                None,
                Refusal::new(StatusCode::INTERNAL_ERROR, "legacy route has no queue"),
            )
        })?;
    let routed = |r: Refusal| (Some(route), r);

    let (parts, body) = request.into_parts();
    let headers = header_pairs(&parts.headers).map_err(routed)?;
    let target = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
    let limit = service
        .service
        .max_request_bytes()
        .map_or(config.legacy.max_body, |l| l.min(config.legacy.max_body));
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(routed(too_large(limit)));
    }

    // Authenticate. btauth/1 signs the body's sha256, so its body is read first (bounded);
    // bittensor 10 signs the claimed body hash, so the body waits until the caller is
    // proven, admitted and within its rate limit.
    let mut body = Some(body);
    let mut bytes = None;
    let auth = if parts.headers.contains_key(HEADER_SIGNATURE) {
        let read = read_body(body.take(), limit, shared, received)
            .await
            .map_err(routed)?;
        let caller = legacy
            .btauth
            .verify(&headers, &read, parts.method.as_str(), &target, now_ns())
            .map_err(|e| routed(btauth_refusal(&e)))?;
        bytes = Some(read);
        Authenticated {
            hotkey: caller.hotkey,
            legacy: None,
            dendrite: TerminalInfo {
                hotkey: Some(caller.hotkey.to_ss58()),
                nonce: Some(caller.nonce),
                ..TerminalInfo::default()
            },
            timeout: None,
        }
    } else {
        let parsed = LegacyRequest::parse(name, &headers, &config.legacy.header_limits)
            .map_err(|e| routed(refusal(&e)))?;
        legacy
            .verifier
            .verify_headers(&parsed, now_ns())
            .map_err(|e| routed(refusal(&e)))?;
        let d = &parsed.dendrite;
        let dendrite = TerminalInfo {
            ip: d.ip.clone(),
            version: d.version,
            nonce: Some(d.nonce),
            uuid: Some(d.uuid.clone()),
            hotkey: Some(d.hotkey_ss58.clone()),
            signature: Some(format!("0x{}", hex::encode(d.signature))),
            ..TerminalInfo::default()
        };
        Authenticated {
            hotkey: d.hotkey,
            timeout: parsed.timeout,
            legacy: Some(parsed),
            dendrite,
        }
    };

    // The same admission as a QUIC handshake, then the caller's rate limit.
    let info = admit(config, &auth.hotkey)
        .map_err(|reason| routed(Refusal::new(StatusCode::FORBIDDEN, reason)))?;
    let caller = Arc::new(caller_from(auth.hotkey, remote, info));
    if let Some(limits) = &shared.rate_limits {
        limits
            .check(&caller)
            .map_err(|e| routed(Refusal::new(StatusCode::RATE_LIMITED, e.to_string())))?;
    }
    let body = match bytes {
        Some(bytes) => bytes,
        None => read_body(body.take(), limit, shared, received)
            .await
            .map_err(routed)?,
    };
    if let Some(parsed) = &auth.legacy {
        legacy
            .verifier
            .accept_body(parsed, &body, service.hashed_fields, now_ns())
            .map_err(|e| routed(refusal(&e)))?;
    }

    let result = run(shared, route, service, &caller, &auth, &body, received).await;
    let synapse = service.service.name();
    let axon = axon_terminal(legacy, received);
    let response = match result {
        Ok(fields) => {
            let fields: serde_json::Map<String, serde_json::Value> =
                serde_json::from_slice(&fields)
                    .map_err(|e| routed(Refusal::new(StatusCode::INTERNAL_ERROR, e.to_string())))?;
            LegacyResponse::success(synapse, auth.timeout, &body, fields, axon, &auth.dendrite)
                .map_err(|e| routed(refusal(&e)))?
        }
        Err(refusal) => {
            let response = LegacyResponse::error(
                refusal.status,
                &refusal.message,
                synapse,
                auth.timeout,
                axon,
                &auth.dendrite,
            );
            route.tally.record(refusal.status);
            route.latency.record(received.elapsed());
            return Ok(into_http(response));
        }
    };
    route.tally.record(StatusCode::OK);
    route.latency.record(received.elapsed());
    Ok(into_http(response))
}

/// Admission hooks, the shared queue and the handler, exactly as for a QUIC request.
async fn run(
    shared: &MinerShared,
    route: &Route,
    service: &LegacyService,
    caller: &Arc<Caller>,
    auth: &Authenticated,
    body: &[u8],
    received: Instant,
) -> Result<Vec<u8>, Refusal> {
    let config = &shared.config;
    let timeout = auth
        .timeout
        .filter(|t| t.is_finite() && *t > 0.0)
        // A peer's number: anything too large for a Duration is simply the cap.
        .map_or_else(
            || service.service.timeout(),
            |t| Duration::try_from_secs_f64(t).unwrap_or(config.max_request_timeout),
        )
        .min(config.max_request_timeout);
    let deadline = deadline_after(received, timeout);
    let ctx = RequestContext {
        caller: caller.clone(),
        synapse: route.service.name(),
        request_id: 0,
        received_at: received.into_std(),
        deadline: deadline.into_std(),
    };
    let admitted = AssertUnwindSafe(service.service.admit(ctx, body, 0))
        .catch_unwind()
        .await
        .map_err(|_| {
            tracing::error!(synapse = route.service.name(), "admission hook panicked");
            Refusal::new(StatusCode::INTERNAL_ERROR, "admission hook panicked")
        })??;
    let Work::Unary(work) = admitted.work else {
        return Err(Refusal::new(
            StatusCode::INTERNAL_ERROR,
            "streaming synapses are not served over legacy HTTP",
        ));
    };
    let (reply, outcome) = oneshot::channel();
    route.queue.submit(
        admitted.priority,
        Job {
            work,
            deadline,
            reply: Reply::Waiter(reply),
        },
    );
    await_outcome(outcome, deadline).await
}

/// Reads the body under `limit` (413) within the request read timeout (408).
async fn read_body(
    body: Option<Incoming>,
    limit: usize,
    shared: &MinerShared,
    received: Instant,
) -> Result<Vec<u8>, Refusal> {
    let Some(body) = body else {
        return Err(Refusal::new(
            StatusCode::INTERNAL_ERROR,
            "body already read",
        ));
    };
    let deadline = deadline_after(received, shared.config.request_read_timeout);
    match tokio::time::timeout_at(deadline, Limited::new(body, limit).collect()).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes().to_vec()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(too_large(limit)),
        Ok(Err(e)) => Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            format!("cannot read the body: {e}"),
        )),
        Err(_) => Err(Refusal::new(
            StatusCode::TIMEOUT,
            "body not received in time",
        )),
    }
}

fn too_large(limit: usize) -> Refusal {
    Refusal::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("request body exceeds the limit of {limit} bytes"),
    )
}

/// Header names and values as text; a value that is not visible ASCII is refused (400).
fn header_pairs(headers: &hyper::HeaderMap) -> Result<Vec<(String, String)>, Refusal> {
    headers
        .iter()
        .map(|(name, value)| {
            value
                .to_str()
                .map(|v| (name.as_str().to_owned(), v.to_owned()))
                .map_err(|_| {
                    Refusal::new(
                        StatusCode::BAD_REQUEST,
                        format!("header {} is not visible ASCII", name.as_str()),
                    )
                })
        })
        .collect()
}

fn refusal(error: &LegacyError) -> Refusal {
    Refusal::new(error.status(), error.to_string())
}

fn btauth_refusal(error: &BtAuthError) -> Refusal {
    Refusal::new(error.status(), error.to_string())
}

/// This axon as the answer's `axon` terminal describes it.
fn axon_terminal(legacy: &LegacyShared, received: Instant) -> TerminalInfo {
    TerminalInfo {
        ip: Some(legacy.local.ip().to_string()),
        port: Some(legacy.local.port()),
        hotkey: Some(legacy.hotkey_ss58.clone()),
        process_time: Some(received.elapsed().as_secs_f64()),
        ..TerminalInfo::default()
    }
}

fn into_http(response: LegacyResponse) -> Response<Full<Bytes>> {
    let mut http = Response::new(Full::new(Bytes::from(response.body)));
    *http.status_mut() = hyper::StatusCode::from_u16(response.status.0)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = http.headers_mut();
    for (name, value) in response.headers {
        // `response_headers` makes values header-safe; anything else is left out, never sent
        // half-formed.
        if let (Ok(name), Ok(value)) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.append(name, value);
        }
    }
    http
}

fn plain(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    into_http(LegacyResponse::error(
        status,
        message,
        "",
        None,
        TerminalInfo::default(),
        &TerminalInfo::default(),
    ))
}
