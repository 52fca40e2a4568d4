//! A lane on the miner: a long-lived stream on which a validator pipelines small unary
//! requests (see [`axonite::protocol`]). Its reader reads one request after another and runs
//! the same steps as a request stream: route (404) → rate limit (429) → body under the
//! synapse's limit (413) → admit (400/401/403) → queue (503) → handler under the deadline
//! (408/500). The reader admits each request itself when the hooks finish at once (else a
//! task of their own does), and queues it with a [`LaneTicket`]: the worker that runs the
//! handler writes the answer on the lane, in the order they finish, through one shared
//! writer. When a worker is idle and nothing waits ahead, the reader starts the handler
//! itself, in that worker's turn, and answers at once if it finishes without waiting (see
//! `handler::inline`). So a request costs no task of its own and, for a handler that does not
//! wait, no wake-up at all; answers finished together leave together; a slow hook or handler
//! still never holds up the requests behind it.
//!
//! What a lane's peer controls stays bounded: at most
//! [`max_streams_per_connection`](axonite::transport::TransportSettings) lane requests of one
//! connection are in flight, over all its lanes (past that its lanes stop reading, and QUIC
//! flow control holds the validator back); a body is at most [`LANE_MAX_BODY`]; once a request's head arrived, the
//! rest must follow within the request read timeout. A peer that breaks the framing, or
//! stalls inside a request, loses the lane (reset), not the connection.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, Waker};

use axonite::handler::Caller;
use axonite::protocol::codec::decode_envelope;
use axonite::protocol::{
    CloseCode, FrameError, FrameHeader, FrameType, LANE_MAX_BODY, RequestHead, StatusCode,
};
use axonite::service::{Admitted, Refusal, ServiceKind, Work};
use axonite::transport::{FrameReader, ReadFrameError};
use bytes::Bytes;
use futures_util::FutureExt;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::caller::CallerView;
use super::lane_answer::{LANE_BROKEN, LaneTicket, LaneWriter};
use super::request::{
    Head, REFUSED, body_limit, check_rate, hook_panicked, route_of, start_admission,
};
use super::shared::{MinerShared, Route};
use super::strikes::RateStrikes;
use crate::handler::{Job, Reply};
use crate::text::truncate;

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

/// The lane's reader loop: one request after another, each admitted here (or, when an
/// admission hook has to wait, in a task of its own) and queued for the synapse's workers,
/// which write its answer on the lane themselves.
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
        match incoming {
            Incoming::Request { head, route, body } => {
                let id = head.request_id;
                let ticket =
                    LaneTicket::new(shared, lane, &caller, Some(route), id, received, permit);
                admit_and_queue(route, ticket, &head, body);
            }
            Incoming::Refused {
                request_id,
                route,
                refusal,
            } => {
                let rate_limited = refusal.status == StatusCode::RATE_LIMITED;
                let ticket =
                    LaneTicket::new(shared, lane, &caller, route, request_id, received, permit);
                ticket.answer(Err(refusal));
                if rate_limited {
                    strikes.close_if_flooding(shared, &caller);
                }
            }
        }
    }
}

/// Admits a lane request and queues its work: here and now when the admission hooks finish
/// at their first poll (the usual case), else in a task of their own, so a hook that waits
/// never holds up the lane.
fn admit_and_queue(route: &Arc<Route>, ticket: LaneTicket, head: &Head, body: Bytes) {
    let (mut admission, deadline) = start_admission(
        &ticket.shared,
        route,
        &ticket.caller,
        head,
        &body,
        ticket.received,
    );
    drop(body);
    let mut cx = Context::from_waker(Waker::noop());
    // Admission hooks are user code: contain their panics.
    match std::panic::catch_unwind(AssertUnwindSafe(|| admission.as_mut().poll(&mut cx))) {
        Ok(Poll::Ready(admitted)) => queue(route, admitted, deadline, ticket),
        Err(_) => ticket.answer(Err(hook_panicked(route))),
        Ok(Poll::Pending) => {
            let route = route.clone();
            // Polled again at once, with this task's waker, and on as the hooks need.
            tokio::spawn(async move {
                let admitted = match AssertUnwindSafe(admission).catch_unwind().await {
                    Ok(admitted) => admitted,
                    Err(_) => Err(hook_panicked(&route)),
                };
                queue(&route, admitted, deadline, ticket);
            });
        }
    }
}

/// Hands admitted work to the synapse's workers, who answer it on the lane; a refusal is
/// answered at once.
fn queue(
    route: &Route,
    admitted: Result<Admitted, Refusal>,
    deadline: Instant,
    ticket: LaneTicket,
) {
    match admitted {
        Ok(Admitted {
            priority,
            work: Work::Unary(work),
        }) => route.queue.run_or_submit(
            priority,
            Job {
                work,
                deadline,
                reply: Reply::Deliver(Box::new(ticket)),
            },
        ),
        Err(refusal) => ticket.answer(Err(refusal)),
        // Refused before admission by the service's kind; a service that changed its mind
        // still gets a clear answer.
        Ok(Admitted {
            work: Work::Streaming { .. },
            ..
        }) => ticket.answer(Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            STREAMING_ON_A_LANE,
        ))),
    }
}

/// A request read off a lane, or refused before its body was used.
enum Incoming<'s> {
    /// Routed, under its limits, body read: admit and run it.
    Request {
        head: Head,
        route: &'s Arc<Route>,
        body: Bytes,
    },
    /// Answered with this refusal; the body was read past and dropped.
    Refused {
        request_id: u64,
        route: Option<&'s Arc<Route>>,
        refusal: Refusal,
    },
}

/// Reads the rest of one request whose head's frame header is `header`. `Err` means the
/// lane cannot go on (its framing is broken), with the reason.
async fn read_lane_request<'s>(
    shared: &'s MinerShared,
    caller: &Caller,
    strikes: &RateStrikes,
    recv: &mut FrameReader,
    header: FrameHeader,
) -> Result<Incoming<'s>, String> {
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
                Ok(route)
            };
            check().map_err(|refusal| (Some(route), refusal))
        }
    };
    // Bounded by LANE_MAX_BODY; read even when refused, to reach the next request.
    let body = recv.read_payload(body_header).await.map_err(broken)?;
    Ok(match checked {
        Ok(route) => Incoming::Request {
            head: Head {
                request_id: head.request_id,
                timeout_ms: head.timeout_ms,
            },
            route,
            body,
        },
        Err((route, refusal)) => Incoming::Refused {
            request_id: head.request_id,
            route,
            refusal,
        },
    })
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
