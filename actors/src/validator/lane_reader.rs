//! The reading half of a validator's lane, driven by the queries that wait on it.
//!
//! A task of its own reading the answers would cost every answer a hop: the connection's
//! driver wakes the reader, the reader wakes the query. On a multi-threaded tokio runtime
//! that hop is the one too many: tokio runs a chain of at most three tasks woken one by
//! another on the same thread, and hands the next to another thread (waking it, and making
//! both fight over the connection's lock). So the lane's reading loop is a future that the
//! waiting queries poll themselves: whichever is woken reads, hands the other queries their
//! answers (waking each), and takes its own without waking anyone. The loop is polled with a
//! waker of its own, which wakes one of the queries waiting at that moment, or, when none
//! waits, the lane's idle task (which notices a lane that ends while nobody waits, and reads
//! late answers). One poller polls at a time; a wake-up that comes while it polls makes it
//! poll again, so none is lost and none wakes a second task.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};

/// Nobody polls the loop.
const IDLE: u8 = 0;
/// A poller polls the loop.
const POLLING: u8 = 1;
/// A poller polls the loop and was asked to poll it once more (a wake-up came meanwhile).
const POLLING_AGAIN: u8 = 2;

/// The holder id of the lane's idle task (request ids start at 1).
const IDLE_TASK: u64 = 0;

/// The lane's reading loop, shared by its waiting queries and its idle task.
pub(crate) struct SharedReader {
    /// The loop; `None` once it ended. Locked only by the poller that owns [`POLLING`].
    future: Mutex<Option<Pin<Box<dyn Future<Output = ()> + Send>>>>,
    pollers: Arc<Pollers>,
}

/// Who polls the loop and who can be woken to: also the waker the loop is polled with.
#[derive(Default)]
pub(crate) struct Pollers {
    state: AtomicU8,
    /// The request id of the query polling the loop now ([`IDLE_TASK`] for the idle task).
    holder: AtomicU64,
    wakers: Mutex<Wakers>,
}

#[derive(Default)]
struct Wakers {
    /// The queries waiting for an answer, by request id.
    queries: HashMap<u64, Waker>,
    /// The lane's idle task.
    idle: Option<Waker>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while holding these locks; a poisoned lock must not stop the validator.
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Wake for Pollers {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        loop {
            match self.state.load(Ordering::SeqCst) {
                IDLE => break,
                POLLING => {
                    let again = self.state.compare_exchange(
                        POLLING,
                        POLLING_AGAIN,
                        Ordering::SeqCst,
                        Ordering::SeqCst,
                    );
                    if again.is_ok() {
                        return;
                    }
                }
                _ => return,
            }
        }
        self.wake_a_poller();
    }
}

impl Pollers {
    /// Wakes a waiting query, or the idle task when none waits.
    fn wake_a_poller(&self) {
        let waker = {
            let wakers = lock(&self.wakers);
            wakers
                .queries
                .values()
                .next()
                .or(wakers.idle.as_ref())
                .cloned()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// The loop handed query `request_id` its answer: wake it, unless it is the poller (it
    /// looks for its answer once the poll is over).
    pub(crate) fn answered(&self, request_id: u64) {
        if self.holder.load(Ordering::SeqCst) == request_id {
            return;
        }
        let waker = lock(&self.wakers).queries.get(&request_id).cloned();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// The loop ended and failed every waiting query: wake them all but the poller.
    pub(crate) fn ended(&self) {
        let holder = self.holder.load(Ordering::SeqCst);
        let wakers: Vec<Waker> = lock(&self.wakers)
            .queries
            .iter()
            .filter(|(id, _)| **id != holder)
            .map(|(_, waker)| waker.clone())
            .collect();
        for waker in wakers {
            waker.wake();
        }
    }
}

impl SharedReader {
    /// Shares the loop `reading` builds, which nobody has polled yet. The loop tells
    /// [`Pollers::answered`] of each answer it hands over.
    pub(crate) fn new<F>(reading: impl FnOnce(Arc<Pollers>) -> F) -> Arc<Self>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let pollers = Arc::new(Pollers::default());
        Arc::new(Self {
            future: Mutex::new(Some(Box::pin(reading(pollers.clone())))),
            pollers,
        })
    }

    /// Polls the loop as poller `holder`, unless another poller is polling it (that one
    /// polls again if woken meanwhile). True once the loop ended.
    pub(crate) fn drive(&self, holder: u64) -> bool {
        let state = &self.pollers.state;
        if state
            .compare_exchange(IDLE, POLLING, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            return false;
        }
        self.pollers.holder.store(holder, Ordering::SeqCst);
        let waker = Waker::from(self.pollers.clone());
        let mut cx = Context::from_waker(&waker);
        loop {
            let ended = {
                let mut slot = lock(&self.future);
                let ended = slot
                    .as_mut()
                    .is_none_or(|reading| reading.as_mut().poll(&mut cx).is_ready());
                if ended {
                    *slot = None;
                }
                ended
            };
            self.pollers.holder.store(u64::MAX, Ordering::SeqCst);
            if ended {
                state.store(IDLE, Ordering::SeqCst);
                return true;
            }
            if state
                .compare_exchange(POLLING, IDLE, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                return false;
            }
            // Woken while polling: poll again.
            state.store(POLLING, Ordering::SeqCst);
            self.pollers.holder.store(holder, Ordering::SeqCst);
        }
    }

    /// Query `request_id` waits, on the task of `waker`, and may be woken to poll.
    pub(crate) fn wait(&self, request_id: u64, waker: &Waker) {
        let mut wakers = lock(&self.pollers.wakers);
        match wakers.queries.get_mut(&request_id) {
            Some(known) if known.will_wake(waker) => {}
            Some(known) => known.clone_from(waker),
            None => {
                wakers.queries.insert(request_id, waker.clone());
            }
        }
    }

    /// Query `request_id` stopped waiting. One that had no answer (cancelled) may have been
    /// woken to poll and not have: that wake-up goes to another poller.
    pub(crate) fn stop_waiting(&self, request_id: u64, answered: bool) {
        let was_waiting = lock(&self.pollers.wakers)
            .queries
            .remove(&request_id)
            .is_some();
        if was_waiting && !answered {
            self.pollers.wake_a_poller();
        }
    }

    /// The lane's idle task: polls the loop whenever woken with no query waiting, until the
    /// loop ends.
    pub(crate) async fn idle(self: Arc<Self>) {
        std::future::poll_fn(|cx| {
            lock(&self.pollers.wakers).idle = Some(cx.waker().clone());
            if self.drive(IDLE_TASK) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    /// A waker that counts its wake-ups.
    #[derive(Default)]
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counter() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count::default());
        (count.clone(), Waker::from(count))
    }

    fn wakes(count: &Count) -> usize {
        count.0.load(Ordering::SeqCst)
    }

    #[test]
    fn a_wake_up_while_polling_makes_the_poller_poll_again_and_wakes_nobody() {
        let polls = Arc::new(AtomicUsize::new(0));
        let p = polls.clone();
        let reader = SharedReader::new(move |_| {
            std::future::poll_fn(move |cx| {
                // The stream becomes readable again during the first poll.
                if p.fetch_add(1, Ordering::SeqCst) == 0 {
                    cx.waker().wake_by_ref();
                }
                Poll::<()>::Pending
            })
        });
        let (other, other_waker) = counter();
        reader.wait(2, &other_waker);
        assert!(!reader.drive(1));
        assert_eq!(polls.load(Ordering::SeqCst), 2);
        assert_eq!(wakes(&other), 0);
    }

    #[test]
    fn an_answer_wakes_its_query_but_not_the_poller() {
        let reader = SharedReader::new(|pollers| {
            std::future::poll_fn(move |_| {
                pollers.answered(1);
                pollers.answered(2);
                Poll::<()>::Pending
            })
        });
        let (poller, poller_waker) = counter();
        let (other, other_waker) = counter();
        reader.wait(1, &poller_waker);
        reader.wait(2, &other_waker);
        reader.drive(1);
        assert_eq!(wakes(&poller), 0);
        assert_eq!(wakes(&other), 1);
    }

    #[test]
    fn a_wake_up_between_polls_wakes_one_waiting_query_else_the_idle_task() {
        let waker = Arc::new(Mutex::new(None::<Waker>));
        let w = waker.clone();
        let reader = SharedReader::new(move |_| {
            std::future::poll_fn(move |cx| {
                *lock(&w) = Some(cx.waker().clone());
                Poll::<()>::Pending
            })
        });
        let (idle, idle_waker) = counter();
        lock(&reader.pollers.wakers).idle = Some(idle_waker);
        let (query, query_waker) = counter();
        reader.wait(7, &query_waker);
        reader.drive(7);
        let stream_ready = lock(&waker).clone().expect("the loop registered its waker");
        stream_ready.wake_by_ref();
        assert_eq!((wakes(&query), wakes(&idle)), (1, 0));
        // The query went away answered: the next wake-up goes to the idle task.
        reader.stop_waiting(7, true);
        stream_ready.wake_by_ref();
        assert_eq!((wakes(&query), wakes(&idle)), (1, 1));
    }

    #[test]
    fn a_query_cancelled_unanswered_passes_its_wake_up_on() {
        let reader = SharedReader::new(|_| std::future::pending::<()>());
        let (cancelled, cancelled_waker) = counter();
        let (other, other_waker) = counter();
        reader.wait(1, &cancelled_waker);
        reader.wait(2, &other_waker);
        reader.stop_waiting(1, false);
        assert_eq!((wakes(&cancelled), wakes(&other)), (0, 1));
    }

    #[test]
    fn an_ended_loop_is_reported_and_wakes_every_other_waiting_query() {
        let reader = SharedReader::new(|pollers| async move { pollers.ended() });
        let (poller, poller_waker) = counter();
        let (other, other_waker) = counter();
        reader.wait(1, &poller_waker);
        reader.wait(2, &other_waker);
        assert!(reader.drive(1));
        assert_eq!((wakes(&poller), wakes(&other)), (0, 1));
        // Ended for good: later polls say so at once.
        assert!(reader.drive(2));
    }
}
