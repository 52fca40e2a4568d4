//! The validator's side of a lane (see [`axonite::protocol`]): small unary requests to one
//! miner pipelined on one long-lived stream instead of a stream each. A query writes its
//! request whole under the lane's write lock and waits for its answer, in whatever order the
//! miner finishes them. The waiting queries read the lane themselves, one at a time: the one
//! woken reads and hands each answer to its query by request id ([`SharedReader`]); a task of
//! the lane's own reads only while no query waits.
//!
//! A lane that fails (the stream or connection ends, the miner breaks the framing) fails the
//! queries waiting on it with the reason, and the next query opens a new one. A miner that
//! does not know lanes (an older version) answers the first with a plain 400 response head:
//! the link remembers it, and its queries take a stream each from then on.

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Poll;
use std::time::Duration;

use arc_swap::ArcSwapOption;
use axonite::protocol::codec::{decode_envelope, encode_frame};
use axonite::protocol::{FrameType, LaneResponseHead, Limits, RequestHead};
use axonite::transport::{FrameReader, ReadFrameError, SharedSender, head_and_payload};
use bytes::Bytes;
use tokio::sync::oneshot;

use super::QueryError;
use super::lane_reader::{Pollers, SharedReader};
use super::query::read_error;

/// An authenticated connection to a miner, with its lane.
#[derive(Clone)]
pub(crate) struct MinerLink {
    pub(crate) conn: quinn::Connection,
    /// The miner's address when connected (kept here: asking quinn locks the connection).
    addr: SocketAddr,
    lane: Arc<LaneSlot>,
    /// Set once the connection is known to be closed (by its watcher, see
    /// [`watch_close`](Self::watch_close)); asking quinn would lock the connection, against
    /// its driver, on every query.
    closed: Arc<AtomicBool>,
}

impl MinerLink {
    pub(crate) fn new(conn: quinn::Connection) -> Self {
        let addr = conn.remote_address();
        Self {
            conn,
            addr,
            lane: Arc::default(),
            closed: Arc::default(),
        }
    }

    /// False once the connection's watcher saw it close. A query that picks the connection
    /// in the moment between its close and the watcher's wake-up fails with the close reason,
    /// like the queries that were in flight on it.
    pub(crate) fn is_open(&self) -> bool {
        !self.closed.load(Ordering::Acquire)
    }

    /// Waits until the connection closes, then marks it closed; returns the reason.
    pub(crate) async fn watch_close(&self) -> quinn::ConnectionError {
        let reason = self.conn.closed().await;
        self.closed.store(true, Ordering::Release);
        reason
    }

    pub(crate) fn stable_id(&self) -> usize {
        self.conn.stable_id()
    }

    pub(crate) fn remote_address(&self) -> SocketAddr {
        self.addr
    }

    pub(crate) fn close(&self, code: quinn::VarInt, reason: &[u8]) {
        self.conn.close(code, reason);
    }

    /// The lane to send on, opened now if there is none (or the last one ended); `None` when
    /// the miner does not speak lanes.
    pub(crate) async fn lane(&self, limits: &Limits) -> Result<Option<Arc<Lane>>, QueryError> {
        self.lane.get(&self.conn, limits).await
    }

    /// Remembers that the miner does not speak lanes.
    pub(crate) fn lanes_unsupported(&self) {
        self.lane.unsupported.store(true, Ordering::Relaxed);
    }
}

/// Where a link keeps its current lane.
#[derive(Default)]
struct LaneSlot {
    current: ArcSwapOption<Lane>,
    /// Held while a lane is being opened, so concurrent queries open one, not several.
    opening: tokio::sync::Mutex<()>,
    unsupported: AtomicBool,
}

impl LaneSlot {
    async fn get(
        &self,
        conn: &quinn::Connection,
        limits: &Limits,
    ) -> Result<Option<Arc<Lane>>, QueryError> {
        if self.unsupported.load(Ordering::Relaxed) {
            return Ok(None);
        }
        if let Some(lane) = self.current.load_full().filter(|l| l.is_open()) {
            return Ok(Some(lane));
        }
        let _opening = self.opening.lock().await;
        if let Some(lane) = self.current.load_full().filter(|l| l.is_open()) {
            return Ok(Some(lane));
        }
        let (send, recv) = conn
            .open_bi()
            .await
            .map_err(|e| QueryError::Connection(e.to_string()))?;
        let lane = Arc::new(Lane::new(send, FrameReader::new(recv), limits));
        tokio::spawn(lane.reader.clone().idle());
        self.current.store(Some(lane.clone()));
        Ok(Some(lane))
    }
}

/// What the miner answered to one request on a lane.
pub(crate) struct LaneAnswer {
    pub(crate) status: u16,
    pub(crate) message: String,
    pub(crate) process_time: Duration,
    /// The body, on 200.
    pub(crate) body: Option<Bytes>,
}

/// Why a request on a lane got no answer.
#[derive(Debug, Clone)]
pub(crate) enum LaneFailure {
    /// The miner does not speak lanes: send the request on a stream of its own.
    Unsupported,
    /// The lane failed.
    Failed(QueryError),
}

type Waiter = oneshot::Sender<Result<LaneAnswer, LaneFailure>>;

/// Queries waiting for their answers, until the lane ends.
#[derive(Default)]
struct Waiting {
    by_id: HashMap<u64, Waiter>,
    /// Set once the lane ended: later queries fail at once with this.
    ended: Option<LaneFailure>,
}

/// Application error code of a lane the validator reset because the miner stopped reading it.
const LANE_STALLED: u32 = 2;

/// One lane: its sending half, the queries waiting on it and its reading loop.
pub(crate) struct Lane {
    /// Requests are written whole; whichever query finds the lane idle writes every request
    /// queued meanwhile.
    send: Arc<SharedSender>,
    waiting: Arc<Mutex<Waiting>>,
    /// Reads the answers; polled by the queries waiting (see [`SharedReader`]).
    reader: Arc<SharedReader>,
}

impl Lane {
    fn new(send: quinn::SendStream, recv: FrameReader, limits: &Limits) -> Self {
        let waiting = Arc::new(Mutex::default());
        let limits = limits.clone();
        let reader =
            SharedReader::new(|pollers| read_answers(waiting.clone(), recv, limits, pollers));
        Self {
            send: Arc::new(SharedSender::new(send)),
            waiting,
            reader,
        }
    }

    fn waiting(&self) -> MutexGuard<'_, Waiting> {
        lock_waiting(&self.waiting)
    }

    /// Open for new requests: not ended, and its sending half still healthy (a lane whose
    /// write failed or was cancelled is left to its reader to wind down).
    fn is_open(&self) -> bool {
        self.waiting().ended.is_none() && !self.send.is_failed()
    }

    /// Sends one request and waits for its answer. Cancel-safe: dropping the future (the
    /// query's deadline) forgets the request, and its late answer is dropped.
    pub(crate) async fn exchange(
        self: &Arc<Self>,
        synapse: &str,
        request_id: u64,
        timeout: Duration,
        body: &Bytes,
    ) -> Result<LaneAnswer, LaneFailure> {
        let (tx, rx) = oneshot::channel();
        let alone = {
            let mut waiting = self.waiting();
            if let Some(ended) = &waiting.ended {
                return Err(ended.clone());
            }
            waiting.by_id.insert(request_id, tx);
            waiting.by_id.len() == 1
        };
        let _forget = Forget {
            lane: self,
            request_id,
        };
        let head = RequestHead {
            synapse: Cow::Borrowed(synapse),
            request_id,
            timeout_ms: u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX),
        };
        let frame = encode_frame(FrameType::LaneRequestHead, &head)
            .map_err(|e| LaneFailure::Failed(QueryError::Encode(e.to_string())))?;
        let chunks = head_and_payload(frame, FrameType::Body, body.clone())
            .map_err(|e| LaneFailure::Failed(QueryError::Encode(e)))?;
        // Within the query's own time: a miner that stopped reading gets the lane reset.
        let written = if alone {
            // Nothing else in flight: write now, the shortest way to the answer.
            self.send.send(chunks, timeout, LANE_STALLED).await
        } else {
            // Others are in flight: their answers come in batches, and the queries they wake
            // send again in the same tick. One writer sends all of those once they are
            // queued, in a few packets instead of one each.
            self.send.send_soon(chunks, timeout, LANE_STALLED)
        };
        if let Err(e) = written {
            let e = e.to_string();
            // A miner without lanes may have refused the lane just before this write: its
            // plain 400 is on the way, and the reader then ends the lane as `Unsupported`
            // (bounded by the query's deadline, like any wait for an answer).
            return match self.answer(request_id, rx).await {
                Some(Err(LaneFailure::Unsupported)) => Err(LaneFailure::Unsupported),
                _ => Err(LaneFailure::Failed(QueryError::Connection(e))),
            };
        }
        match self.answer(request_id, rx).await {
            Some(answer) => answer,
            None => Err(LaneFailure::Failed(QueryError::Connection(
                "lane ended".into(),
            ))),
        }
    }

    /// Waits for the answer to `request_id`, reading the lane meanwhile when woken to;
    /// `None` if the answer's sender went away unanswered.
    async fn answer(
        &self,
        request_id: u64,
        mut rx: oneshot::Receiver<Result<LaneAnswer, LaneFailure>>,
    ) -> Option<Result<LaneAnswer, LaneFailure>> {
        std::future::poll_fn(|cx| {
            self.reader.wait(request_id, cx.waker());
            self.reader.drive(request_id);
            // The loop wakes this query when it hands it its answer (unless this query is
            // the one polling it), so the receiver registers no waker: waking this task
            // while it runs would send it to the back of the run queue. `try_recv`, not a
            // poll: a poll that finds the task's budget spent would leave its wake-up with
            // no waker at all.
            match rx.try_recv() {
                Ok(answer) => Poll::Ready(Some(answer)),
                Err(oneshot::error::TryRecvError::Empty) => Poll::Pending,
                Err(oneshot::error::TryRecvError::Closed) => Poll::Ready(None),
            }
        })
        .await
    }
}

/// Ends a lane: every waiting query, and every later one, fails with `why`.
fn end(waiting: &Mutex<Waiting>, why: LaneFailure) {
    let waiters = {
        let mut waiting = lock_waiting(waiting);
        waiting.ended.get_or_insert(why.clone());
        std::mem::take(&mut waiting.by_id)
    };
    for (_, waiter) in waiters {
        let _ = waiter.send(Err(why.clone()));
    }
}

fn lock_waiting(waiting: &Mutex<Waiting>) -> MutexGuard<'_, Waiting> {
    // Nothing panics while holding it; a poisoned lock must not stop the validator.
    waiting.lock().unwrap_or_else(|p| p.into_inner())
}

/// Forgets a request whose query stopped waiting (answered, failed or cancelled).
struct Forget<'a> {
    lane: &'a Lane,
    request_id: u64,
}

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        let unanswered = self.lane.waiting().by_id.remove(&self.request_id).is_some();
        self.lane.reader.stop_waiting(self.request_id, !unanswered);
    }
}

/// The lane's reading loop: hands answers to their queries until the lane ends, then fails
/// the rest with the reason. Polled by the queries themselves ([`SharedReader`]).
async fn read_answers(
    waiting: Arc<Mutex<Waiting>>,
    mut recv: FrameReader,
    limits: Limits,
    pollers: Arc<Pollers>,
) {
    let mut first = true;
    let why = loop {
        match read_answer(&mut recv, &limits, first).await {
            Ok((request_id, answer)) => {
                first = false;
                let waiter = lock_waiting(&waiting).by_id.remove(&request_id);
                // None: that query stopped waiting (its deadline passed).
                if let Some(waiter) = waiter {
                    let _ = waiter.send(Ok(answer));
                    pollers.answered(request_id);
                }
            }
            Err(why) => break why,
        }
    };
    end(&waiting, why);
    pollers.ended();
}

/// Reads one answer: its head and, on 200, its body.
async fn read_answer(
    recv: &mut FrameReader,
    limits: &Limits,
    first: bool,
) -> Result<(u64, LaneAnswer), LaneFailure> {
    let failed = |e: ReadFrameError| {
        LaneFailure::Failed(match e {
            ReadFrameError::Finished => QueryError::Connection("lane finished by the miner".into()),
            other => read_error(other),
        })
    };
    // A miner without lanes answers the first request as a request stream: a plain head.
    let kinds: &[FrameType] = if first {
        &[FrameType::LaneResponseHead, FrameType::ResponseHead]
    } else {
        &[FrameType::LaneResponseHead]
    };
    let header = recv
        .read_header(kinds, limits.max_head_frame)
        .await
        .map_err(failed)?;
    if header.ty == FrameType::ResponseHead {
        return Err(LaneFailure::Unsupported);
    }
    let head_bytes = recv.read_payload(header).await.map_err(failed)?;
    let head: LaneResponseHead<'_> = decode_envelope(&head_bytes)
        .map_err(|e| LaneFailure::Failed(QueryError::Protocol(e.to_string())))?;
    let body = if head.status == 200 {
        let (_, body) = recv
            .read_frame(&[FrameType::Body], limits.max_response_body)
            .await
            .map_err(failed)?;
        Some(body)
    } else {
        None
    };
    Ok((
        head.request_id,
        LaneAnswer {
            status: head.status,
            message: head.message.into_owned(),
            process_time: Duration::from_micros(head.process_time_us),
            body,
        },
    ))
}
