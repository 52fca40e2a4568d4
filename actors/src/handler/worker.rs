//! The shared job queue of one synapse and the worker actor that drains it.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axonite::StatusCode;
use axonite::service::{BoxFuture, Refusal};
use futures_util::FutureExt;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use tokio::sync::{Notify, oneshot};
use tokio::time::Instant;

use super::queue::JobQueue;

/// A job's outcome: the encoded response body (empty for streams), or the refusal.
pub(crate) type JobReply = Result<Vec<u8>, Refusal>;

/// One admitted request waiting for a worker.
pub(crate) struct Job {
    /// The handler's work; not started until a worker polls it.
    pub(crate) work: BoxFuture<'static, JobReply>,
    /// When the caller stops waiting.
    pub(crate) deadline: Instant,
    /// Where the outcome goes.
    pub(crate) reply: Reply,
}

/// Where a job's outcome goes.
pub(crate) enum Reply {
    /// To a task waiting for it, which owns the deadline: when it stops waiting, the handler
    /// is cancelled. Dropped unanswered only if the worker dies mid-job, which that task
    /// reports as 500.
    Waiter(oneshot::Sender<JobReply>),
    /// Delivered by the worker itself (a lane answer, written without waking another task);
    /// the worker enforces the deadline.
    Deliver(Box<dyn Deliver>),
}

/// An outcome the worker hands over itself. Whoever implements it answers on drop when
/// never delivered (the worker died mid-job), so no request goes unanswered.
pub(crate) trait Deliver: Send {
    /// Hands the outcome over; must not wait (it runs on the worker).
    fn deliver(self: Box<Self>, outcome: JobReply);
    /// True when nobody can receive the outcome any more (the job need not run).
    fn abandoned(&self) -> bool;
}

impl Reply {
    pub(super) fn send(self, outcome: JobReply) {
        match self {
            Reply::Waiter(tx) => {
                let _ = tx.send(outcome);
            }
            Reply::Deliver(to) => to.deliver(outcome),
        }
    }

    fn abandoned(&self) -> bool {
        match self {
            Reply::Waiter(tx) => tx.is_closed(),
            Reply::Deliver(to) => to.abandoned(),
        }
    }
}

impl Job {
    fn refuse(self, status: StatusCode, message: &str) {
        self.reply.send(Err(Refusal::new(status, message)));
    }
}

/// The bounded priority queue between connection tasks and the workers of one synapse.
pub(crate) struct PoolQueue {
    slots: Mutex<Slots>,
    ready: Notify,
    closed: AtomicBool,
    /// Workers restarted after a handler panic.
    restarts: AtomicU64,
}

/// What the queue's lock guards: the jobs, and what the workers are doing.
pub(super) struct Slots {
    pub(super) jobs: JobQueue<Job>,
    /// Workers waiting for a job.
    pub(super) idle: usize,
    /// Jobs being started on their submitter's thread ([`PoolQueue::run_or_submit`]), each
    /// in the turn of an idle worker.
    pub(super) starting: usize,
}

impl PoolQueue {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            slots: Mutex::new(Slots {
                jobs: JobQueue::new(capacity),
                idle: 0,
                starting: 0,
            }),
            ready: Notify::new(),
            closed: AtomicBool::new(false),
            restarts: AtomicU64::new(0),
        }
    }

    /// Jobs waiting for a worker.
    pub(crate) fn depth(&self) -> usize {
        self.lock().jobs.len()
    }

    /// Workers restarted so far.
    pub(crate) fn restarts(&self) -> u64 {
        self.restarts.load(Ordering::Relaxed)
    }

    pub(crate) fn count_restart(&self) {
        self.restarts.fetch_add(1, Ordering::Relaxed);
    }

    /// Queues a job; when the queue is full the lowest-priority job (maybe this one) is
    /// answered 503.
    pub(crate) fn submit(&self, priority: f64, job: Job) {
        if self.closed.load(Ordering::Acquire) {
            job.refuse(StatusCode::UNAVAILABLE, "miner is shutting down");
            return;
        }
        let (dead, shed) = {
            let jobs = &mut self.lock().jobs;
            // Jobs whose caller already gave up must not cost live requests their place.
            let now = Instant::now();
            let dead = if jobs.is_full() {
                jobs.remove_dead(|job| job.deadline <= now || job.reply.abandoned())
            } else {
                Vec::new()
            };
            (dead, jobs.push(priority, job))
        };
        for job in dead {
            job.refuse(StatusCode::TIMEOUT, "deadline passed while queued");
        }
        match shed {
            Some(shed) => shed.refuse(StatusCode::UNAVAILABLE, "overloaded: request shed"),
            None => self.ready.notify_one(),
        }
    }

    /// The next job by priority; `None` once the queue is closed and empty.
    pub(crate) async fn next(&self) -> Option<Job> {
        loop {
            {
                let mut slots = self.lock();
                if let Some(job) = slots.jobs.pop() {
                    return Some(job);
                }
                if self.closed.load(Ordering::Acquire) {
                    return None;
                }
                slots.idle += 1;
            }
            let idle = Idle(self);
            self.ready.notified().await;
            drop(idle);
        }
    }

    /// True once the miner stopped taking jobs (shutting down).
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Refuses new jobs (503) but lets the workers run the queued ones; each worker stops
    /// once the queue is empty.
    pub(crate) fn stop_accepting(&self) {
        self.closed.store(true, Ordering::Release);
        self.ready.notify_waiters();
    }

    /// Refuses new jobs, answers queued ones 503 and wakes every worker so it can stop.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        let queued = self.lock().jobs.drain();
        for job in queued {
            job.refuse(StatusCode::UNAVAILABLE, "miner is shutting down");
        }
        self.ready.notify_waiters();
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, Slots> {
        // A panic never happens while the lock is held (push/pop do not call user code), but
        // a poisoned lock must not take the miner down either.
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A worker waiting for a job; counted idle until it wakes (or its actor is killed).
struct Idle<'a>(&'a PoolQueue);

impl Drop for Idle<'_> {
    fn drop(&mut self) {
        self.0.lock().idle -= 1;
    }
}

/// A worker: takes one job at a time from its synapse's queue and runs it.
pub(crate) struct HandlerWorker;

/// The worker's only message, sent once at start: take jobs until the queue closes.
pub(crate) struct Next;

/// A handler panicked; the worker fails with this so its pool restarts it.
#[derive(Debug, thiserror::Error)]
#[error("handler `{synapse}` panicked: {message}")]
pub(crate) struct HandlerPanicked {
    synapse: &'static str,
    message: String,
}

impl Actor for HandlerWorker {
    type Msg = Next;
    type State = (&'static str, Arc<PoolQueue>);
    type Arguments = (&'static str, Arc<PoolQueue>);

    async fn pre_start(
        &self,
        myself: ActorRef<Next>,
        args: Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        myself.send_message(Next)?;
        Ok(args)
    }

    async fn handle(
        &self,
        myself: ActorRef<Next>,
        _: Next,
        (synapse, queue): &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        // One message runs the whole loop: a message per job cost a mailbox round trip per
        // request. A kill still interrupts it (ractor runs `handle` beside the signal port);
        // a graceful stop closes the queue, which ends the loop.
        while let Some(job) = queue.next().await {
            run(synapse, job).await?;
        }
        myself.stop(Some("queue closed".into()));
        Ok(())
    }
}

/// Runs one job. For a waiting task, that task owns the deadline: when it stops waiting
/// (408 at the deadline, or the validator left) it drops the reply's receiver, and the
/// handler is cancelled here, without a timer of the worker's own. An outcome the worker
/// delivers itself is bounded by a timer here, registered only if the handler does not
/// finish at its first poll.
async fn run(synapse: &'static str, job: Job) -> Result<(), HandlerPanicked> {
    if Instant::now() >= job.deadline {
        job.refuse(StatusCode::TIMEOUT, "deadline passed while queued");
        return Ok(());
    }
    let Job {
        work,
        deadline,
        reply,
    } = job;
    let work = AssertUnwindSafe(work).catch_unwind();
    let (outcome, reply) = match reply {
        Reply::Waiter(mut tx) => {
            let outcome = tokio::select! {
                outcome = work => outcome,
                () = tx.closed() => return Ok(()),
            };
            (outcome, Reply::Waiter(tx))
        }
        Reply::Deliver(to) => match tokio::time::timeout_at(deadline, work).await {
            Ok(outcome) => (outcome, Reply::Deliver(to)),
            Err(_) => {
                to.deliver(Err(Refusal::new(
                    StatusCode::TIMEOUT,
                    "handler did not finish before the deadline",
                )));
                return Ok(());
            }
        },
    };
    match outcome {
        Ok(result) => {
            reply.send(result);
            Ok(())
        }
        Err(panic) => {
            // Answer first: the caller learns at once, whatever the restart takes.
            reply.send(Err(Refusal::new(
                StatusCode::INTERNAL_ERROR,
                "handler panicked",
            )));
            Err(HandlerPanicked {
                synapse,
                message: panic_message(&*panic),
            })
        }
    }
}

pub(super) fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}
