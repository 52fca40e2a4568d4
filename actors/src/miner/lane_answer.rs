//! Answering on a lane: a [`LaneTicket`] per request, the right and the duty to answer it,
//! handed from the lane's reader to the worker that runs its handler; and the
//! [`LaneWriter`] that writes the answers whole, without waiting, in the order they finish.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axonite::handler::Caller;
use axonite::protocol::codec::encode_frame;
use axonite::protocol::{FrameType, LaneResponseHead, StatusCode};
use axonite::service::Refusal;
use axonite::transport::{FrameReader, SharedSender, head_and_payload};
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;

use super::request::{REFUSED, log_refusal, micros_since, record, status_of};
use super::respond::WRITE_TIMED_OUT;
use super::shared::{MinerShared, Route, Serving};
use crate::handler::{Deliver, JobReply};
use crate::text::truncate;

/// Application error code of a lane reset because its peer broke the lane's rules.
pub(super) const LANE_BROKEN: u32 = 3;

/// The right, and the duty, to answer one request of a lane. Whoever ends up with the
/// outcome (the reader for a refusal, a worker for a handler's result) answers with it; a
/// ticket dropped unanswered (its worker died mid-job) answers 500, so no request of a lane
/// goes unanswered.
pub(super) struct LaneTicket {
    pub(super) shared: Arc<MinerShared>,
    lane: Arc<LaneWriter>,
    pub(super) caller: Arc<Caller>,
    /// `None` for a request refused before it was routed.
    route: Option<Arc<Route>>,
    request_id: u64,
    pub(super) received: Instant,
    /// Counts the request as in flight on the miner (its shutdown drains these).
    _serving: Serving,
    /// One of the connection's places for lane requests, given back once answered.
    _permit: OwnedSemaphorePermit,
    answered: bool,
}

impl LaneTicket {
    /// The ticket of request `request_id` of `lane`, read at `received`, holding one of the
    /// connection's places (`permit`) until it is answered.
    pub(super) fn new(
        shared: &Arc<MinerShared>,
        lane: &Arc<LaneWriter>,
        caller: &Arc<Caller>,
        route: Option<&Arc<Route>>,
        request_id: u64,
        received: Instant,
        permit: OwnedSemaphorePermit,
    ) -> Self {
        lane.in_flight.fetch_add(1, Ordering::AcqRel);
        Self {
            shared: shared.clone(),
            lane: lane.clone(),
            caller: caller.clone(),
            route: route.cloned(),
            request_id,
            received,
            _serving: Serving::enter(shared),
            _permit: permit,
            answered: false,
        }
    }

    /// Answers on the lane, without waiting.
    pub(super) fn answer(mut self, result: JobReply) {
        self.finish(result);
    }

    fn finish(&mut self, result: JobReply) {
        self.answered = true;
        let shared = &self.shared;
        match &self.route {
            Some(route) => record(route, &self.caller, self.received, &result),
            None => {
                shared.unrouted.record(status_of(&result));
                log_refusal(&self.caller, "", &result);
            }
        }
        let write_limit = shared.config.response_write_timeout;
        self.lane
            .respond(self.request_id, self.received, result, write_limit);
        // Every queue closes at once when the miner shuts down: the request's own (or any,
        // for an unrouted one) tells.
        let queue = self
            .route
            .as_ref()
            .or_else(|| shared.routes.values().next());
        let shutting_down = queue.is_some_and(|r| r.queue.is_closed());
        self.lane.done(shared, shutting_down, write_limit);
    }
}

impl Deliver for LaneTicket {
    fn deliver(self: Box<Self>, outcome: JobReply) {
        self.answer(outcome);
    }

    fn abandoned(&self) -> bool {
        self.lane.send.is_failed()
    }
}

impl Drop for LaneTicket {
    fn drop(&mut self) {
        if !self.answered {
            self.finish(Err(Refusal::new(
                StatusCode::INTERNAL_ERROR,
                "handler failed without answering",
            )));
        }
    }
}

/// The sending half of a lane, shared by its requests' answers: each is written whole, by
/// whoever has it (the lane's reader or a worker), without waiting.
pub(super) struct LaneWriter {
    pub(super) send: Arc<SharedSender>,
    /// Requests of this lane not answered yet.
    in_flight: AtomicUsize,
}

impl LaneWriter {
    pub(super) fn new(send: quinn::SendStream) -> Self {
        Self {
            send: Arc::new(SharedSender::new(send)),
            in_flight: AtomicUsize::new(0),
        }
    }

    /// Queues the answer to `request_id`. A validator that stops reading cannot hold the
    /// lane, or what is queued for it, forever: a write stuck past `limit` resets the lane.
    fn respond(
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
                Ok(chunks) => self.send.push(chunks, limit, WRITE_TIMED_OUT),
                Err(_) => return,
            },
            None => self.send.push([frame.into()], limit, WRITE_TIMED_OUT),
        };
        if let Err(e) = sent {
            tracing::debug!(error = %e, "lane answer not sent");
        }
    }

    /// Called once per request, when answered. While shutting down, the lane's last answer
    /// finishes the lane, and a task waits (within `limit`, counted as in flight, so the
    /// drain waits too) until the validator acknowledged every byte.
    fn done(self: &Arc<Self>, shared: &Arc<MinerShared>, shutting_down: bool, limit: Duration) {
        let last = self.in_flight.fetch_sub(1, Ordering::AcqRel) == 1;
        if !(shutting_down && last) {
            return;
        }
        // A ticket can be dropped off the runtime (a queue freed with the miner): then
        // there is nobody left to flush for.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let serving = Serving::enter(shared);
        let send = self.send.clone();
        runtime.spawn(async move {
            let flushed = async {
                let mut send = send.stream().await;
                if send.finish().is_ok() {
                    let _ = send.stopped().await;
                }
            };
            let _ = tokio::time::timeout(limit, flushed).await;
            drop(serving);
        });
    }

    /// Ends a lane whose peer broke its rules: the reader stops, the lane is reset both ways.
    /// Answers already being written are lost with it; only a broken validator gets here.
    pub(super) async fn break_off(
        &self,
        shared: &MinerShared,
        recv: &mut FrameReader,
        reason: &str,
    ) {
        tracing::debug!(reason = %truncate(reason, 200), "lane broken; reset");
        shared.stats.lanes_broken.fetch_add(1, Ordering::Relaxed);
        let _ = recv.stream_mut().stop(REFUSED.into());
        let _ = self.send.stream().await.reset(LANE_BROKEN.into());
    }
}
