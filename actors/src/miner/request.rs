//! One request stream on the miner (or, when its first frame says so, a lane: see
//! [`super::lane`]), as a short pipeline of named steps:
//! read head (400/413) → route (404) → rate limit (429) → read body under the synapse's
//! limit (413) and the stream's end (400 on trailing bytes) → admit:
//! decode, verify, blacklist, priority (400/401/403) → queue (503) → handler under the
//! deadline (408/500) → respond.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use axonite::handler::{Caller, RequestContext};
use axonite::protocol::codec::decode_envelope;
use axonite::protocol::{FrameError, FrameHeader, FrameType, RequestHead, StatusCode};
use axonite::service::{Admitted, BoxFuture, Refusal, Work};
use axonite::transport::{FrameReader, ReadFrameError, write_payload_frame};
use bytes::Bytes;
use futures_util::FutureExt;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::lane::LaneContext;
use super::respond::{Delivery, cut_off, end_stream, respond};
use super::shared::{InFlight, MinerShared, Route};
use super::strikes::RateStrikes;
use crate::handler::{Job, Reply};
use crate::text::truncate;
use crate::time::deadline_after;

/// Application error code used to stop reading a refused request body.
pub(super) const REFUSED: u32 = 1;

/// How long past its deadline a stream may take to forward its last chunks.
const STREAM_GRACE: Duration = Duration::from_millis(500);

/// How long a refusal may take to write (one small frame).
const REFUSAL_WRITE: Duration = Duration::from_secs(2);

/// Serves one request stream to completion, or the lane it turns out to be (its first frame
/// says which). Never panics on peer input; every refusal is a response with a status.
pub(crate) async fn serve_stream(
    shared: Arc<MinerShared>,
    caller: Arc<Caller>,
    lane: LaneContext,
    strikes: Arc<RateStrikes>,
    send: quinn::SendStream,
    recv: quinn::RecvStream,
) {
    let received = Instant::now();
    let mut recv = FrameReader::new(recv);
    let kinds: &[FrameType] = if shared.config.lanes {
        &[FrameType::RequestHead, FrameType::LaneRequestHead]
    } else {
        &[FrameType::RequestHead]
    };
    let limit = shared.config.limits.max_head_frame;
    // The request stream's whole read, first header included, has one deadline.
    let read_deadline = deadline_after(received, shared.config.request_read_timeout);
    let first = tokio::time::timeout_at(read_deadline, recv.read_header(kinds, limit)).await;
    match first {
        Ok(Ok(header)) if header.ty == FrameType::LaneRequestHead => {
            super::lane::serve_lane(shared, lane, strikes, send, recv, header).await;
        }
        first => {
            let first = first.ok();
            serve_request(shared, caller, strikes, send, recv, received, first).await;
        }
    }
}

/// Serves one request on its own stream, accepted at `received`, whose first frame header
/// was read as `first` (`None`: it did not arrive in time).
async fn serve_request(
    shared: Arc<MinerShared>,
    caller: Arc<Caller>,
    strikes: Arc<RateStrikes>,
    mut send: quinn::SendStream,
    mut recv: FrameReader,
    received: Instant,
    first: Option<Result<FrameHeader, ReadFrameError>>,
) {
    let _in_flight = InFlight::enter(&shared);
    let Some(first) = first else {
        let refusal = Refusal::new(StatusCode::TIMEOUT, "request not received in time");
        return refuse_unread(&shared, None, &caller, (send, recv), received, refusal).await;
    };
    let write_limit = shared.config.response_write_timeout;

    // Reading the request is bounded in time: a slow or stalled stream cannot hold it open.
    let mut routed = None;
    let read = async {
        let header = first.map_err(read_refusal)?;
        read_request(&shared, &caller, &strikes, &mut recv, header, &mut routed).await
    };
    let read_deadline = deadline_after(received, shared.config.request_read_timeout);
    let read = tokio::time::timeout_at(read_deadline, read).await;
    let (head, route, body) = match read {
        Ok(Ok(request)) => request,
        Ok(Err(refusal)) => {
            let rate_limited = refusal.status == StatusCode::RATE_LIMITED;
            refuse_unread(&shared, routed, &caller, (send, recv), received, refusal).await;
            if rate_limited {
                strikes.close_if_flooding(&shared, &caller);
            }
            return;
        }
        Err(_) => {
            let refusal = Refusal::new(StatusCode::TIMEOUT, "request not received in time");
            return refuse_unread(&shared, routed, &caller, (send, recv), received, refusal).await;
        }
    };
    let outcome = |result: &Result<Vec<u8>, Refusal>| {
        record(route, &caller, received, result);
    };

    let (admitted, deadline) =
        match admit_request(&shared, route, &caller, &head, body, received).await {
            Ok(admitted) => admitted,
            Err(refusal) => {
                let result = Err(refusal);
                outcome(&result);
                return respond(&mut send, received, result, write_limit, Delivery::IfLarge).await;
            }
        };

    match admitted.work {
        Work::Unary(work) => {
            let result = run_unary(route, admitted.priority, work, deadline).await;
            outcome(&result);
            // While the miner shuts down, its drain waits for this task: hold it until the
            // answer is delivered, so closing the connections afterwards loses none.
            let delivery = if route.queue.is_closed() {
                Delivery::Always
            } else {
                Delivery::IfLarge
            };
            respond(&mut send, received, result, write_limit, delivery).await;
        }
        Work::Streaming { run, mut chunks } => {
            let (reply, reply_rx) = oneshot::channel();
            let work = Box::pin(async move { run.await.map(|()| Vec::new()) });
            route.queue.submit(
                admitted.priority,
                Job {
                    work,
                    deadline,
                    reply: Reply::Waiter(reply),
                },
            );
            // Forward chunks until the handler finishes, the deadline passes, or the validator
            // stops reading (a reader that never drains cannot pin this task: the whole
            // forwarding is bounded by the deadline).
            let mut sent = 0u64;
            let forward = async {
                while let Some(chunk) = chunks.recv().await {
                    if write_payload_frame(&mut send, FrameType::StreamChunk, &chunk)
                        .await
                        .is_err()
                    {
                        return false;
                    }
                    sent += 1;
                }
                true
            };
            let grace = deadline_after(deadline, STREAM_GRACE);
            let healthy = tokio::time::timeout_at(grace, forward)
                .await
                .unwrap_or(false);
            if !healthy {
                cut_off(&mut send);
            }
            // Dropping the receiver tells a still-running handler that the stream is gone.
            drop(chunks);
            let result = await_outcome(reply_rx, deadline).await;
            outcome(&result);
            if healthy {
                end_stream(&mut send, received, result, sent, write_limit).await;
            }
        }
    }
}

/// The request's deadline: the caller's timeout (or the synapse's default), capped by the
/// miner's.
fn request_deadline(
    shared: &MinerShared,
    route: &Route,
    head: &Head,
    received: Instant,
) -> Instant {
    let timeout = match head.timeout_ms {
        0 => route.service.timeout(),
        ms => Duration::from_millis(u64::from(ms)),
    }
    .min(shared.config.max_request_timeout);
    deadline_after(received, timeout)
}

/// Starts a request's admission: decodes the body now (400); the hooks (verify, blacklist,
/// priority: 401, 403) run as the returned future is polled, which may panic (user code: see
/// [`hook_panicked`]). Returns it with the request's deadline.
pub(super) fn start_admission(
    shared: &MinerShared,
    route: &Route,
    caller: &Arc<Caller>,
    head: &Head,
    body: &[u8],
    received: Instant,
) -> (BoxFuture<'static, Result<Admitted, Refusal>>, Instant) {
    let deadline = request_deadline(shared, route, head, received);
    let service = &route.service;
    let ctx = RequestContext {
        caller: caller.clone(),
        synapse: service.name(),
        request_id: head.request_id,
        received_at: received.into_std(),
        deadline: deadline.into_std(),
    };
    let depth = shared.config.limits.max_decode_depth;
    (service.admit(ctx, body, depth), deadline)
}

/// Decodes the body and runs the admission hooks (verify, blacklist, priority): 400, 401,
/// 403, or 500 when a hook panicked. Returns the work and the request's deadline.
async fn admit_request(
    shared: &MinerShared,
    route: &Route,
    caller: &Arc<Caller>,
    head: &Head,
    body: Bytes,
    received: Instant,
) -> Result<(Admitted, Instant), Refusal> {
    let (admission, deadline) = start_admission(shared, route, caller, head, &body, received);
    drop(body);
    // Admission hooks are user code: contain their panics too.
    match AssertUnwindSafe(admission).catch_unwind().await {
        Ok(admitted) => admitted.map(|admitted| (admitted, deadline)),
        Err(_) => Err(hook_panicked(route)),
    }
}

/// The answer to a request whose admission hook panicked (500); logged, as a bug to fix.
pub(super) fn hook_panicked(route: &Route) -> Refusal {
    tracing::error!(synapse = route.service.name(), "admission hook panicked");
    Refusal::new(StatusCode::INTERNAL_ERROR, "admission hook panicked")
}

/// Runs a unary request's work here if a worker would start it at once and it finishes
/// without waiting, else queues it; waits for the outcome until the deadline.
async fn run_unary(
    route: &Route,
    priority: f64,
    work: BoxFuture<'static, Result<Vec<u8>, Refusal>>,
    deadline: Instant,
) -> Result<Vec<u8>, Refusal> {
    let (reply, reply_rx) = oneshot::channel();
    route.queue.run_or_submit(
        priority,
        Job {
            work,
            deadline,
            reply: Reply::Waiter(reply),
        },
    );
    await_outcome(reply_rx, deadline).await
}

/// The parts of a request the pipeline needs once it has been read.
pub(super) struct Head {
    pub(super) request_id: u64,
    pub(super) timeout_ms: u32,
}

/// Reads the head whose frame header is `header` (400), routes it (404), and reads the body
/// under the synapse's size limit, refusing an oversized body from its header alone (413).
async fn read_request<'s>(
    shared: &'s MinerShared,
    caller: &Caller,
    strikes: &RateStrikes,
    recv: &mut FrameReader,
    header: FrameHeader,
    routed: &mut Option<&'s Route>,
) -> Result<(Head, &'s Route, Bytes), Refusal> {
    let head_bytes = recv.read_payload(header).await.map_err(read_refusal)?;
    let head: RequestHead<'_> = decode_envelope(&head_bytes)
        .map_err(|e| Refusal::new(StatusCode::BAD_REQUEST, format!("bad request head: {e}")))?;
    let route = route_of(shared, &head)?;
    *routed = Some(route);
    check_rate(shared, caller, strikes)?;
    let limit = body_limit(shared, route);
    let header = recv
        .read_header(&[FrameType::Body], limit)
        .await
        .map_err(read_refusal)?;
    let body = recv.read_payload(header).await.map_err(read_refusal)?;
    // The FIN ends a request: reading it spares the validator a STOP_SENDING.
    recv.read_end().await.map_err(read_refusal)?;
    let head = Head {
        request_id: head.request_id,
        timeout_ms: head.timeout_ms,
    };
    Ok((head, route, body))
}

/// The route of `head`'s synapse (404 when the miner has none).
pub(super) fn route_of<'s>(
    shared: &'s MinerShared,
    head: &RequestHead<'_>,
) -> Result<&'s Arc<Route>, Refusal> {
    shared.routes.get(head.synapse.as_ref()).ok_or_else(|| {
        Refusal::new(
            StatusCode::NOT_FOUND,
            format!("unknown synapse `{}`", truncate(&head.synapse, 64)),
        )
    })
}

/// The caller's rate limit (429), checked after routing (so unknown synapses stay 404) and
/// before the body is read.
pub(super) fn check_rate(
    shared: &MinerShared,
    caller: &Caller,
    strikes: &RateStrikes,
) -> Result<(), Refusal> {
    if let Some(limits) = &shared.rate_limits {
        match limits.check(caller) {
            Ok(()) => strikes.admitted(),
            Err(e) => {
                strikes.refused();
                return Err(Refusal::new(StatusCode::RATE_LIMITED, e.to_string()));
            }
        }
    }
    Ok(())
}

/// The largest body `route` accepts: the synapse's own limit under the miner's.
pub(super) fn body_limit(shared: &MinerShared, route: &Route) -> usize {
    let limits = &shared.config.limits;
    route
        .service
        .max_request_bytes()
        .map_or(limits.max_request_body, |l| l.min(limits.max_request_body))
}

/// Waits for the worker until the deadline; this is the request's only deadline timer (the
/// worker cancels the handler when this stops waiting). A dropped reply means the worker
/// died mid-job.
pub(super) async fn await_outcome(
    outcome: oneshot::Receiver<Result<Vec<u8>, Refusal>>,
    deadline: Instant,
) -> Result<Vec<u8>, Refusal> {
    match tokio::time::timeout_at(deadline, outcome).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(Refusal::new(
            StatusCode::INTERNAL_ERROR,
            "handler failed without answering",
        )),
        Err(_) => Err(Refusal::new(
            StatusCode::TIMEOUT,
            "handler did not finish before the deadline",
        )),
    }
}

pub(super) fn read_refusal(e: ReadFrameError) -> Refusal {
    match e {
        ReadFrameError::Frame(FrameError::TooLarge { len, limit }) => Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request of {len} bytes exceeds the limit of {limit} bytes"),
        ),
        other => Refusal::new(StatusCode::BAD_REQUEST, other.to_string()),
    }
}

/// Refuses without reading what is left of the request: tell the peer to stop sending.
async fn refuse_unread(
    shared: &MinerShared,
    routed: Option<&Route>,
    caller: &Caller,
    (mut send, mut recv): (quinn::SendStream, FrameReader),
    received: Instant,
    refusal: Refusal,
) {
    let _ = recv.stream_mut().stop(REFUSED.into());
    let result = Err(refusal);
    match routed {
        Some(route) => record(route, caller, received, &result),
        None => {
            shared.unrouted.record(status_of(&result));
            log_refusal(caller, "", &result);
        }
    }
    // Held until delivered: a 429 may be followed by closing the connection, and the
    // validator must get it first to learn why.
    respond(&mut send, received, result, REFUSAL_WRITE, Delivery::Always).await;
}

/// Counts a request's outcome and latency under its synapse, and logs a refusal.
pub(super) fn record(
    route: &Route,
    caller: &Caller,
    received: Instant,
    result: &Result<Vec<u8>, Refusal>,
) {
    route.tally.record(status_of(result));
    route.latency.record(received.elapsed());
    log_refusal(caller, route.service.name(), result);
}

pub(super) fn status_of(result: &Result<Vec<u8>, Refusal>) -> StatusCode {
    result
        .as_ref()
        .map_or_else(|r| r.status, |_| StatusCode::OK)
}

/// Refusals are logged at debug level: a flood must not flood the logs (the miner's
/// periodic report sums refusals up by reason).
pub(super) fn log_refusal(caller: &Caller, synapse: &str, result: &Result<Vec<u8>, Refusal>) {
    if let Err(refusal) = result {
        tracing::debug!(
            caller = %caller.hotkey,
            synapse,
            status = refusal.status.0,
            reason = %refusal.message,
            "request refused"
        );
    }
}

pub(super) fn micros_since(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX)
}
