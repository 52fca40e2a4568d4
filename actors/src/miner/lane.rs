//! A lane on the miner: a long-lived stream on which a validator pipelines small unary
//! requests (see [`axonite::protocol`]). Its reader reads one request after another and runs
//! the same steps as a request stream: route (404) → rate limit (429) → body under the
//! synapse's limit (413) → admit (400/401/403) → queue (503) → handler under the deadline
//! (408/500). Each request is then served by its own task, so a slow admission hook or
//! handler never holds up the requests behind it, and answers go back on the lane, in the
//! order they finish, through one shared writer.
//!
//! What a lane's peer controls stays bounded: at most
//! [`max_streams_per_connection`](axonite::transport::TransportSettings) lane requests of one
//! connection are in flight, over all its lanes (past that its lanes stop reading, and QUIC
//! flow control holds the validator back); a body is at most [`LANE_MAX_BODY`]; once a request's head arrived, the
//! rest must follow within the request read timeout. A peer that breaks the framing, or
//! stalls inside a request, loses the lane (reset), not the connection.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axonite::handler::Caller;
use axonite::protocol::codec::{decode_envelope, encode_frame};
use axonite::protocol::{
    CloseCode, FrameError, FrameHeader, FrameType, LANE_MAX_BODY, LaneResponseHead, RequestHead,
    StatusCode,
};
use axonite::service::{Refusal, ServiceKind, Work};
use axonite::transport::{FrameReader, ReadFrameError, SharedSender, head_and_payload};
use bytes::Bytes;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::caller::CallerView;
use super::request::{
    Head, REFUSED, admit_request, body_limit, check_rate, log_refusal, micros_since, record,
    route_of, run_unary, status_of,
};
use super::respond::WRITE_TIMED_OUT;
use super::shared::{InFlight, MinerShared, Route};
use super::strikes::RateStrikes;
use crate::text::truncate;

/// Application error code of a lane reset because its peer broke the lane's rules.
const LANE_BROKEN: u32 = 3;

/// The refusal of a streaming synapse's request sent on a lane.
const STREAMING_ON_A_LANE: &str = "a streaming synapse needs a stream of its own, not a lane";

/// What a lane takes from its connection's actor.
pub(crate) struct LaneContext {
    /// The caller, looked up again per request when the directory changes.
    pub(crate) view: CallerView,
    /// Closed (its sender dropped) when the connection's actor stops: the lane ends with it.
    pub(crate) actor_alive: tokio::sync::watch::Receiver<()>,
    /// The connection's places for lane requests in flight, shared by all its lanes: a
    /// validator that opens many lanes gets no more in flight than one lane would.
    pub(crate) in_flight: Arc<Semaphore>,
}

impl LaneContext {
    /// The places for lane requests of one connection: as many as it may have request
    /// streams ([`max_streams_per_connection`](axonite::transport::TransportSettings)).
    pub(crate) fn places(shared: &MinerShared) -> Arc<Semaphore> {
        Arc::new(Semaphore::new(
            shared.config.transport.max_streams_per_connection as usize,
        ))
    }
}

/// Serves a lane whose first frame header (a [`FrameType::LaneRequestHead`]) was read as
/// `first`, until the validator finishes it, breaks it, the connection ends, or the
/// connection's actor stops (then the lane is reset, so its streams release the connection).
pub(crate) async fn serve_lane(
    shared: Arc<MinerShared>,
    context: LaneContext,
    strikes: Arc<RateStrikes>,
    send: quinn::SendStream,
    recv: FrameReader,
    first: FrameHeader,
) {
    let LaneContext {
        view,
        mut actor_alive,
        in_flight,
    } = context;
    let lane = Arc::new(LaneWriter::new(send));
    let mut recv = recv;
    let serve = read_requests(&shared, view, in_flight, &strikes, &lane, &mut recv, first);
    tokio::select! {
        () = serve => {}
        // Never sent on: this resolves only when the actor's end dropped the sender.
        _ = actor_alive.changed() => {
            let _ = recv.stream_mut().stop(REFUSED.into());
            let _ = lane.send.stream().await.reset(LANE_BROKEN.into());
        }
    }
}

/// The lane's reader loop: one request after another, each handed to a task of its own.
async fn read_requests(
    shared: &Arc<MinerShared>,
    mut view: CallerView,
    permits: Arc<Semaphore>,
    strikes: &Arc<RateStrikes>,
    lane: &Arc<LaneWriter>,
    recv: &mut FrameReader,
    first: FrameHeader,
) {
    shared.stats.lanes_opened.fetch_add(1, Ordering::Relaxed);
    let head_limit = shared.config.limits.max_head_frame;
    let mut next = Some(first);
    loop {
        // Never closed, so this fails only if the semaphore were; stop then too.
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        let header = match next.take() {
            Some(header) => Ok(header),
            None => {
                recv.read_header(&[FrameType::LaneRequestHead], head_limit)
                    .await
            }
        };
        let header = match header {
            Ok(header) => header,
            // The validator is done with this lane: answer what is in flight, then finish.
            Err(ReadFrameError::Finished) => break,
            Err(ReadFrameError::Stream(_)) => break,
            Err(e) => {
                let reason = format!("bad lane frame: {e}");
                return lane.break_off(shared, recv, &reason).await;
            }
        };
        let received = Instant::now();
        let caller = match view.current(&shared.config) {
            Ok(caller) => caller,
            Err(reason) => return revoke(shared, strikes, &reason),
        };
        let read = read_lane_request(shared, &caller, strikes, recv, header);
        let read = tokio::time::timeout(shared.config.request_read_timeout, read).await;
        let incoming = match read {
            Ok(Ok(incoming)) => incoming,
            Ok(Err(broken)) => return lane.break_off(shared, recv, &broken).await,
            Err(_) => {
                let reason = "request not received in time";
                return lane.break_off(shared, recv, reason).await;
            }
        };
        let task = LaneRequest {
            shared: shared.clone(),
            lane: lane.clone(),
            strikes: strikes.clone(),
            caller,
            received,
            _permit: permit,
        };
        lane.in_flight.fetch_add(1, Ordering::AcqRel);
        // Boxed, so spawning moves a pointer; a panic (a bug, never peer input) is logged.
        tokio::spawn(contain_panic(Box::pin(task.serve(incoming))));
    }
}

/// A request read off a lane, or refused before its body was used.
enum Incoming {
    /// Routed, under its limits, body read: admit and run it.
    Request {
        head: Head,
        synapse: &'static str,
        body: Bytes,
    },
    /// Answered with this refusal; the body was read past and dropped.
    Refused {
        request_id: u64,
        synapse: Option<&'static str>,
        refusal: Refusal,
    },
}

/// Reads the rest of one request whose head's frame header is `header`. `Err` means the
/// lane cannot go on (its framing is broken), with the reason.
async fn read_lane_request(
    shared: &MinerShared,
    caller: &Caller,
    strikes: &RateStrikes,
    recv: &mut FrameReader,
    header: FrameHeader,
) -> Result<Incoming, String> {
    let broken = |e: ReadFrameError| format!("lane request: {e}");
    let head_bytes = recv.read_payload(header).await.map_err(broken)?;
    // Without its id a request cannot be answered: a bad head breaks the lane.
    let head: RequestHead<'_> =
        decode_envelope(&head_bytes).map_err(|e| format!("bad lane request head: {e}"))?;
    let body_header = match recv.read_header(&[FrameType::Body], LANE_MAX_BODY).await {
        Ok(h) => h,
        Err(ReadFrameError::Frame(FrameError::TooLarge { len, .. })) => {
            return Err(format!(
                "a body of {len} bytes on a lane (at most {LANE_MAX_BODY}: larger requests take a stream of their own)"
            ));
        }
        Err(e) => return Err(broken(e)),
    };
    // The same order as a request stream: route, rate limit, size, then the body.
    let checked = match route_of(shared, &head) {
        Err(refusal) => Err((None, refusal)),
        Ok(route) => {
            let synapse = route.service.name();
            let check = || {
                check_rate(shared, caller, strikes)?;
                let limit = body_limit(shared, route);
                if body_header.len as usize > limit {
                    return Err(Refusal::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        format!(
                            "request of {} bytes exceeds the limit of {limit} bytes",
                            body_header.len
                        ),
                    ));
                }
                if route.service.kind() == ServiceKind::Streaming {
                    return Err(Refusal::new(StatusCode::BAD_REQUEST, STREAMING_ON_A_LANE));
                }
                Ok(synapse)
            };
            check().map_err(|refusal| (Some(synapse), refusal))
        }
    };
    // Bounded by LANE_MAX_BODY; read even when refused, to reach the next request.
    let body = recv.read_payload(body_header).await.map_err(broken)?;
    Ok(match checked {
        Ok(synapse) => Incoming::Request {
            head: Head {
                request_id: head.request_id,
                timeout_ms: head.timeout_ms,
            },
            synapse,
            body,
        },
        Err((synapse, refusal)) => Incoming::Refused {
            request_id: head.request_id,
            synapse,
            refusal,
        },
    })
}

/// One request of a lane, served by its own task.
struct LaneRequest {
    shared: Arc<MinerShared>,
    lane: Arc<LaneWriter>,
    strikes: Arc<RateStrikes>,
    caller: Arc<Caller>,
    received: Instant,
    /// One of the lane's in-flight places, given back when the answer is written.
    _permit: OwnedSemaphorePermit,
}

impl LaneRequest {
    async fn serve(self, incoming: Incoming) {
        let shared = &self.shared;
        let _in_flight = InFlight::enter(shared);
        let write_limit = shared.config.response_write_timeout;
        let (request_id, route, result) = match incoming {
            Incoming::Refused {
                request_id,
                synapse,
                refusal,
            } => (
                request_id,
                synapse.and_then(|s| shared.routes.get(s)),
                Err(refusal),
            ),
            Incoming::Request {
                head,
                synapse,
                body,
            } => {
                let route = shared.routes.get(synapse);
                let result = match route {
                    Some(route) => self.run(route, &head, body).await,
                    None => Err(Refusal::new(StatusCode::NOT_FOUND, "unknown synapse")),
                };
                (head.request_id, route, result)
            }
        };
        let rate_limited = matches!(&result, Err(r) if r.status == StatusCode::RATE_LIMITED);
        self.record(route, &result);
        self.lane
            .respond(request_id, self.received, result, write_limit)
            .await;
        if rate_limited {
            self.strikes.close_if_flooding(shared, &self.caller);
        }
        // While the miner shuts down, its drain waits for this task: the last answer of the
        // lane finishes it and waits until the validator has every byte, so closing the
        // connection afterwards loses none. Every queue closes at once, so the request's own
        // (or any, for an unrouted one) tells.
        let queue = route.or_else(|| shared.routes.values().next());
        let shutting_down = queue.is_some_and(|r| r.queue.is_closed());
        self.lane.done(shutting_down, write_limit).await;
    }

    async fn run(&self, route: &Route, head: &Head, body: Bytes) -> Result<Vec<u8>, Refusal> {
        let admitted =
            admit_request(&self.shared, route, &self.caller, head, body, self.received).await;
        let (admitted, deadline) = admitted?;
        match admitted.work {
            Work::Unary(work) => run_unary(route, admitted.priority, work, deadline).await,
            // Refused before admission by the service's kind; a service that changed its mind
            // still gets a clear answer.
            Work::Streaming { .. } => {
                Err(Refusal::new(StatusCode::BAD_REQUEST, STREAMING_ON_A_LANE))
            }
        }
    }

    fn record(&self, route: Option<&Route>, result: &Result<Vec<u8>, Refusal>) {
        match route {
            Some(route) => record(route, &self.caller, self.received, result),
            None => {
                self.shared.unrouted.record(status_of(result));
                log_refusal(&self.caller, "", result);
            }
        }
    }
}

/// The sending half of a lane, shared by its requests' tasks: answers are written whole, and
/// whichever task finds the lane idle writes every answer queued meanwhile.
struct LaneWriter {
    send: SharedSender,
    /// Requests of this lane whose task has not finished.
    in_flight: AtomicUsize,
}

impl LaneWriter {
    fn new(send: quinn::SendStream) -> Self {
        Self {
            send: SharedSender::new(send),
            in_flight: AtomicUsize::new(0),
        }
    }

    /// Queues the answer to `request_id`. A validator that stops reading cannot hold the
    /// lane, or what is queued for it, forever: a write stuck past `limit` resets the lane.
    async fn respond(
        &self,
        request_id: u64,
        received: Instant,
        result: Result<Vec<u8>, Refusal>,
        limit: Duration,
    ) {
        let (status, message, body) = match result {
            Ok(body) => (StatusCode::OK, Cow::Borrowed(""), Some(body)),
            Err(r) => (r.status, Cow::Owned(r.message), None),
        };
        let head = LaneResponseHead {
            request_id,
            status: status.0,
            message,
            process_time_us: micros_since(received),
        };
        let Ok(frame) = encode_frame(FrameType::LaneResponseHead, &head) else {
            return;
        };
        let sent = match body {
            Some(body) => match head_and_payload(frame, FrameType::Body, body.into()) {
                Ok(chunks) => self.send.send(chunks, limit, WRITE_TIMED_OUT).await,
                Err(_) => return,
            },
            None => self.send.send([frame.into()], limit, WRITE_TIMED_OUT).await,
        };
        if let Err(e) = sent {
            tracing::debug!(error = %e, "lane answer not sent");
        }
    }

    /// Called once per request when its task is done. While shutting down, the lane's last
    /// request finishes the lane and waits (within `limit`) until the validator acknowledged
    /// every byte.
    async fn done(&self, shutting_down: bool, limit: Duration) {
        let last = self.in_flight.fetch_sub(1, Ordering::AcqRel) == 1;
        if !(shutting_down && last) {
            return;
        }
        let flushed = async {
            let mut send = self.send.stream().await;
            if send.finish().is_ok() {
                let _ = send.stopped().await;
            }
        };
        let _ = tokio::time::timeout(limit, flushed).await;
    }

    /// Ends a lane whose peer broke its rules: the reader stops, the lane is reset both ways.
    /// Answers already being written are lost with it; only a broken validator gets here.
    async fn break_off(&self, shared: &MinerShared, recv: &mut FrameReader, reason: &str) {
        tracing::debug!(reason = %truncate(reason, 200), "lane broken; reset");
        shared.stats.lanes_broken.fetch_add(1, Ordering::Relaxed);
        let _ = recv.stream_mut().stop(REFUSED.into());
        let _ = self.send.stream().await.reset(LANE_BROKEN.into());
    }
}

/// The connection's caller lost its admission (the directory changed): close the connection,
/// as the connection's own loop does for a new stream.
fn revoke(shared: &MinerShared, strikes: &RateStrikes, reason: &str) {
    tracing::info!(%reason, "admission revoked");
    shared.stats.revoked.fetch_add(1, Ordering::Relaxed);
    let reason = format!("admission revoked: {reason}");
    strikes.connection().close(
        CloseCode::Revoked.code().into(),
        truncate(&reason, 200).as_bytes(),
    );
}

/// Runs a lane request's task; a panic in it (a bug, never peer input) is logged.
async fn contain_panic(request: impl std::future::Future<Output = ()>) {
    use futures_util::FutureExt;
    if std::panic::AssertUnwindSafe(request)
        .catch_unwind()
        .await
        .is_err()
    {
        tracing::error!("lane request task panicked");
    }
}
