//! Starting a job on its submitter's thread when a worker would start it at once anyway.
//!
//! Handing a job to a worker costs a wake-up of the worker's task; on a busy multi-threaded
//! runtime that is often a wake-up of another thread too (tokio hands the fourth task woken
//! in a chain to its run queue and wakes an idle thread to steal it). A handler that answers
//! without waiting (an echo, a lookup, a score from memory) needs none of that: it can run
//! where its request was read. So when a worker is idle and no job waits ahead (the job would
//! start at once on that worker anyway), the submitter polls the job once itself, in that
//! worker's turn: finished, it is answered there; not finished, it goes to the worker, which
//! polls it on. Priorities, the bound on handlers running at once and the queue's limits are
//! unchanged, and so is supervision: a panic is answered 500 at once and then raised again
//! on a worker, which fails and is restarted by its pool under the pool's restart policy,
//! exactly as if it had run there.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::task::{Context, Poll, Waker};

use axonite::StatusCode;
use axonite::service::Refusal;
use tokio::time::{Duration, Instant};

use super::worker::{Deliver, Job, JobReply, PoolQueue, Reply};

/// How long a raised panic may wait for a worker (it is queued first, so it never waits).
const RAISE_WITHIN: Duration = Duration::from_secs(3600);

impl PoolQueue {
    /// Runs `job` here when a worker is idle, no job waits, and the job finishes at its
    /// first poll; otherwise queues it like [`submit`](Self::submit) (started, if it was
    /// polled). Either way its outcome goes to its [`Reply`]: for a task waiting on it, it is
    /// there when that task looks.
    pub(crate) fn run_or_submit(&self, priority: f64, job: Job) {
        if !self.take_idle_turn() {
            return self.submit(priority, job);
        }
        let turn = Turn(self);
        if Instant::now() >= job.deadline {
            drop(turn);
            return job
                .reply
                .send(Err(Refusal::new(StatusCode::TIMEOUT, "deadline passed")));
        }
        let Job {
            mut work,
            deadline,
            reply,
        } = job;
        // A noop waker: nothing may wake this poll; a job not finished is polled again by a
        // worker, with the worker's waker.
        let mut cx = Context::from_waker(Waker::noop());
        let polled = std::panic::catch_unwind(AssertUnwindSafe(|| work.as_mut().poll(&mut cx)));
        // The worker's turn ends before the job is queued, so that worker takes it.
        drop(turn);
        match polled {
            Ok(Poll::Ready(outcome)) => reply.send(outcome),
            Ok(Poll::Pending) => self.submit(
                priority,
                Job {
                    work,
                    deadline,
                    reply,
                },
            ),
            Err(panic) => {
                reply.send(Err(Refusal::new(
                    StatusCode::INTERNAL_ERROR,
                    "handler panicked",
                )));
                self.raise_on_a_worker(panic);
            }
        }
    }

    /// Takes the turn of an idle worker for a job started here, if a worker is idle (and not
    /// already lent to another such job) and no job waits ahead.
    fn take_idle_turn(&self) -> bool {
        let mut slots = self.lock();
        let free = slots.jobs.is_empty() && slots.idle > slots.starting && !self.is_closed();
        if free {
            slots.starting += 1;
        }
        free
    }

    /// Hands a handler's panic to a worker, first in line: the worker fails with it and its
    /// pool restarts it (or escalates), so supervision sees every panic of a handler.
    fn raise_on_a_worker(&self, panic: Box<dyn Any + Send>) {
        self.submit(
            f64::INFINITY,
            Job {
                work: Box::pin(raise(panic)),
                deadline: Instant::now() + RAISE_WITHIN,
                reply: Reply::Deliver(Box::new(AlreadyAnswered)),
            },
        );
    }
}

/// A job that panics with `panic` again, on the worker that polls it.
async fn raise(panic: Box<dyn Any + Send>) -> JobReply {
    std::panic::resume_unwind(panic)
}

/// An idle worker's turn lent to a job started on its submitter's thread.
struct Turn<'a>(&'a PoolQueue);

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.0.lock().starting -= 1;
    }
}

/// The reply of a raised panic: its request was answered when the panic happened.
struct AlreadyAnswered;

impl Deliver for AlreadyAnswered {
    fn deliver(self: Box<Self>, _: JobReply) {}

    fn abandoned(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use futures_util::FutureExt;

    use super::*;

    type Outcome = Arc<Mutex<Option<JobReply>>>;

    /// Where a test job's outcome lands.
    struct Capture(Outcome);

    impl Deliver for Capture {
        fn deliver(self: Box<Self>, outcome: JobReply) {
            *self.0.lock().unwrap() = Some(outcome);
        }
        fn abandoned(&self) -> bool {
            false
        }
    }

    fn job(work: impl std::future::Future<Output = JobReply> + Send + 'static) -> (Job, Outcome) {
        let outcome = Outcome::default();
        let job = Job {
            work: Box::pin(work),
            deadline: Instant::now() + Duration::from_secs(10),
            reply: Reply::Deliver(Box::new(Capture(outcome.clone()))),
        };
        (job, outcome)
    }

    /// A queue with one worker waiting on it (the worker takes one job and hands it back).
    async fn queue_with_an_idle_worker() -> (Arc<PoolQueue>, tokio::task::JoinHandle<Job>) {
        let queue = Arc::new(PoolQueue::new(8));
        let q = queue.clone();
        let worker = tokio::spawn(async move { q.next().await.expect("a job") });
        tokio::task::yield_now().await;
        assert_eq!(queue.lock().idle, 1);
        (queue, worker)
    }

    fn taken(outcome: &Outcome) -> Option<JobReply> {
        outcome.lock().unwrap().take()
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_job_that_finishes_at_once_is_answered_here_when_a_worker_is_idle() {
        let (queue, worker) = queue_with_an_idle_worker().await;
        let (work, outcome) = job(async { Ok(b"done".to_vec()) });
        queue.run_or_submit(0.0, work);
        // Answered before this task yielded once: no worker ran.
        assert_eq!(taken(&outcome), Some(Ok(b"done".to_vec())));
        assert_eq!(queue.depth(), 0);
        assert_eq!(queue.lock().starting, 0);
        tokio::task::yield_now().await;
        assert!(!worker.is_finished(), "the worker got no job");
        worker.abort();
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_waiting_tasks_job_that_finishes_at_once_is_in_its_receiver_at_once() {
        let (queue, worker) = queue_with_an_idle_worker().await;
        let (tx, mut rx) = tokio::sync::oneshot::channel();
        queue.run_or_submit(
            0.0,
            Job {
                work: Box::pin(async { Ok(b"here".to_vec()) }),
                deadline: Instant::now() + Duration::from_secs(10),
                reply: Reply::Waiter(tx),
            },
        );
        assert_eq!(rx.try_recv(), Ok(Ok(b"here".to_vec())));
        worker.abort();
    }

    #[tokio::test(flavor = "current_thread")]
    async fn without_an_idle_worker_the_job_is_queued_unstarted() {
        let queue = PoolQueue::new(8);
        let started = Arc::new(Mutex::new(false));
        let s = started.clone();
        let (work, outcome) = job(async move {
            *s.lock().unwrap() = true;
            Ok(Vec::new())
        });
        queue.run_or_submit(0.0, work);
        assert_eq!(queue.depth(), 1);
        assert!(!*started.lock().unwrap());
        assert_eq!(taken(&outcome), None);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_job_waiting_ahead_keeps_its_place() {
        let (queue, worker) = queue_with_an_idle_worker().await;
        let (first, first_outcome) = job(async { Ok(b"first".to_vec()) });
        queue.submit(0.0, first);
        // The worker was woken but has not run: a new job must not overtake the queued one.
        let (second, second_outcome) = job(async { Ok(b"second".to_vec()) });
        queue.run_or_submit(0.0, second);
        assert_eq!(taken(&second_outcome), None);
        assert_eq!(queue.depth(), 2);
        let next = worker.await.unwrap();
        next.reply.send(next.work.await);
        assert_eq!(taken(&first_outcome), Some(Ok(b"first".to_vec())));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_job_that_waits_goes_to_the_worker_with_its_progress() {
        let (queue, worker) = queue_with_an_idle_worker().await;
        let polls = Arc::new(Mutex::new(0));
        let p = polls.clone();
        let (work, outcome) = job(async move {
            *p.lock().unwrap() += 1;
            tokio::task::yield_now().await;
            *p.lock().unwrap() += 1;
            Ok(b"later".to_vec())
        });
        queue.run_or_submit(0.0, work);
        assert_eq!(*polls.lock().unwrap(), 1, "started here");
        assert_eq!(taken(&outcome), None);
        // The idle worker takes the started job and finishes it, without starting it again.
        let next = worker.await.unwrap();
        next.reply.send(next.work.await);
        assert_eq!(*polls.lock().unwrap(), 2);
        assert_eq!(taken(&outcome), Some(Ok(b"later".to_vec())));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_panic_is_answered_at_once_and_raised_again_on_a_worker() {
        let (queue, worker) = queue_with_an_idle_worker().await;
        let (work, outcome) = job(async { panic!("boom on purpose") });
        queue.run_or_submit(0.0, work);
        let answered = taken(&outcome).expect("answered at once");
        assert_eq!(answered.unwrap_err().status, StatusCode::INTERNAL_ERROR);
        // The worker's next job raises the same panic, so the worker fails and its pool
        // restarts it.
        let next = worker.await.unwrap();
        let raised = AssertUnwindSafe(next.work).catch_unwind().await;
        let panic = raised.expect_err("the panic is raised again");
        assert_eq!(
            super::super::worker::panic_message(&*panic),
            "boom on purpose"
        );
    }
}
