//! A QUIC send stream that many tasks write whole messages to: the sending half of a lane.
//!
//! Each message (a head frame and its body, say) is queued whole; the task that finds the
//! stream idle becomes its writer and writes everything queued, its own message and those
//! that arrive meanwhile, in as few writes as it can. The others return at once: their
//! message leaves with the writer's next batch. So under load a lane costs one connection
//! lock and one wake-up of quinn's connection driver per batch of messages, not per message,
//! and no task is woken just to find that its message already left.
//!
//! Code that must not wait (a handler worker answering on a lane) uses
//! [`SharedSender::push`]: it writes what the stream takes at once and leaves the rest, if
//! flow control holds the stream, to a task of its own.
//!
//! [`SharedSender::send_soon`] leaves the write to a task that runs once the tasks ready now
//! have queued their messages, but not all of them: once [`EARLY_WRITE_MESSAGES`] messages
//! or [`EARLY_WRITE_BYTES`] bytes wait, the task that queued the last writes them at once.
//! A tick's batch then leaves in a few parts, and the peer works on the first while this
//! side still queues the rest: with 32 requests in flight, a batch sent whole keeps the two
//! sides taking turns, one idle while the other works.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;

/// Messages waiting for a [`SharedSender::send_soon`] writer past which the task queuing
/// one more writes them itself, at once: half of a tick's 32. Measured with
/// `scripts/bench-syscalls` (1 KB requests, 32 in flight): 12 and 16 did alike, 8 split the
/// batch too finely (more writes, less throughput).
const EARLY_WRITE_MESSAGES: usize = 16;

/// Bytes waiting for a [`SharedSender::send_soon`] writer past which the task queuing more
/// writes them itself, at once: about a dozen full packets, what one segmented send takes.
const EARLY_WRITE_BYTES: usize = 16 << 10;

/// Why a message could not be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SharedSendError {
    /// The stream failed (or was reset after a write timed out) and takes no more messages.
    #[error("{0}")]
    Failed(String),
}

/// A send stream shared by the tasks of a lane. Each message is queued whole; the task that
/// finds the stream idle writes everything queued, so under load a lane costs one connection
/// lock and one wake-up of quinn's connection driver per batch of messages.
#[derive(Debug)]
pub struct SharedSender {
    pending: Mutex<Pending>,
    /// Held by the writer while it writes (and by [`SharedSender::stream`] callers).
    stream: tokio::sync::Mutex<quinn::SendStream>,
}

/// The writing task's hold on the sender: unless it finishes, dropping it (the task's future
/// was dropped mid-write) resets the stream and fails the sender.
struct Writer<'a> {
    sender: &'a SharedSender,
    stream: Option<tokio::sync::MutexGuard<'a, quinn::SendStream>>,
    reset_code: u32,
    done: bool,
}

impl Writer<'_> {
    fn fail(&mut self, why: String) -> Result<(), SharedSendError> {
        self.done = true;
        Err(self.sender.fail(why))
    }
}

impl Drop for Writer<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        if let Some(stream) = &mut self.stream {
            let _ = stream.reset(self.reset_code.into());
        }
        self.sender
            .fail("the writing task was cancelled mid-write".into());
    }
}

#[derive(Debug, Default)]
struct Pending {
    chunks: Vec<Bytes>,
    /// Messages and bytes queued since a write last took the queue (what a partial write
    /// left in it is not counted again).
    queued_messages: usize,
    queued_bytes: usize,
    /// A task is writing and will write whatever is queued before it stops.
    writing: bool,
    failed: Option<String>,
}

impl SharedSender {
    /// Wraps `stream`; nothing is written yet.
    pub fn new(stream: quinn::SendStream) -> Self {
        Self {
            pending: Mutex::default(),
            stream: tokio::sync::Mutex::new(stream),
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        // Nothing panics while holding it; a poisoned lock must not stop the lane.
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `message` (its chunks leave together, never interleaved with another message)
    /// and, unless another task is writing already, writes it and everything queued
    /// meanwhile. A writer that cannot write for `limit` (the peer stopped reading and flow
    /// control holds the stream) resets the stream with `reset_code`: what was queued for a
    /// peer that does not read is freed, not kept. `Ok` means the message was queued on a
    /// healthy stream, not that it was delivered; after a failure every call fails.
    ///
    /// Dropping the future of the task that is writing (its caller's deadline) resets the
    /// stream and fails the sender: a message cut in the middle would break the framing of
    /// every message after it.
    pub async fn send(
        &self,
        message: impl IntoIterator<Item = Bytes>,
        limit: Duration,
        reset_code: u32,
    ) -> Result<(), SharedSendError> {
        if self.enqueue(message)? {
            self.write_queued(limit, reset_code).await?;
        }
        Ok(())
    }

    /// Queues `message` like [`send`](Self::send), without waiting: unless another task is
    /// writing already, what the stream takes at once is written now, and whatever flow
    /// control holds back is written by a task spawned for it, under the same `limit` and
    /// `reset_code`. `Ok` means the message was queued on a healthy stream. Needs a tokio
    /// runtime only when the stream is blocked (without one, the sender fails).
    pub fn push(
        self: &Arc<Self>,
        message: impl IntoIterator<Item = Bytes>,
        limit: Duration,
        reset_code: u32,
    ) -> Result<(), SharedSendError> {
        if !self.enqueue(message)? {
            return Ok(());
        }
        // The stream is held only by a writer (there is none: we are it) or, briefly, by a
        // `stream()` caller; then the spawned task waits for it.
        if let Ok(mut stream) = self.stream.try_lock() {
            match self.write_ready(&mut stream) {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(e) => return Err(self.fail(e.to_string())),
            }
        }
        self.spawn_writer(limit, reset_code, false)
    }

    /// Queues `message` like [`send`](Self::send), without waiting and without writing now:
    /// unless another task is writing already, a task is spawned that writes everything
    /// queued once the tasks ready now have run. So messages from many tasks woken together
    /// (queries whose answers arrived in one batch) leave together, in as few packets as
    /// they fit. Needs a tokio runtime (without one, the sender fails).
    ///
    /// Once 16 messages or 16 KiB wait for that task, this call writes them itself, at once,
    /// as far as the stream takes them (when no one holds the stream); the task writes the
    /// rest.
    pub fn send_soon(
        self: &Arc<Self>,
        message: impl IntoIterator<Item = Bytes>,
        limit: Duration,
        reset_code: u32,
    ) -> Result<(), SharedSendError> {
        if self.enqueue(message)? {
            return self.spawn_writer(limit, reset_code, true);
        }
        let enough = {
            let pending = self.pending();
            pending.queued_messages >= EARLY_WRITE_MESSAGES
                || pending.queued_bytes >= EARLY_WRITE_BYTES
        };
        // A held stream is being written (ours goes with it) or finished or reset: leave it.
        if enough && let Ok(mut stream) = self.stream.try_lock() {
            // The writer's role stays with its task, which writes whatever this leaves.
            let batch = self.take_queued();
            if let Err(e) = self.write_now(&mut stream, batch) {
                return Err(self.fail(e.to_string()));
            }
        }
        Ok(())
    }

    /// Queues `message` whole; `Ok(true)` when no task was writing, so the caller is now the
    /// stream's writer and must see everything queued written.
    fn enqueue(&self, message: impl IntoIterator<Item = Bytes>) -> Result<bool, SharedSendError> {
        let mut pending = self.pending();
        if let Some(why) = &pending.failed {
            return Err(SharedSendError::Failed(why.clone()));
        }
        let before = pending.chunks.len();
        pending.chunks.extend(message);
        pending.queued_messages += 1;
        pending.queued_bytes += pending.chunks[before..]
            .iter()
            .map(Bytes::len)
            .sum::<usize>();
        if pending.writing {
            return Ok(false);
        }
        pending.writing = true;
        Ok(true)
    }

    /// Hands the writer's role to a task of its own, which writes everything queued; with
    /// `later`, only once this thread ran out of ready tasks (so the messages of this tick
    /// are all queued by then).
    fn spawn_writer(
        self: &Arc<Self>,
        limit: Duration,
        reset_code: u32,
        later: bool,
    ) -> Result<(), SharedSendError> {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return Err(self.fail("no runtime to write on".into()));
        };
        let sender = self.clone();
        runtime.spawn(async move {
            if later {
                tokio::task::yield_now().await;
            }
            if let Err(e) = sender.write_queued(limit, reset_code).await {
                tracing::debug!(error = %e, "queued messages not sent");
            }
        });
        Ok(())
    }

    /// As the stream's writer, writes what is queued as far as the stream takes it without
    /// waiting. `Ok(true)`: everything went and the writer role is given up; `Ok(false)`:
    /// flow control holds the rest, which stays queued first in line, and the caller is
    /// still the writer.
    fn write_ready(&self, stream: &mut quinn::SendStream) -> Result<bool, quinn::WriteError> {
        loop {
            let batch = {
                let mut pending = self.pending();
                if pending.chunks.is_empty() {
                    pending.writing = false;
                    return Ok(true);
                }
                Self::take(&mut pending)
            };
            if !self.write_now(stream, batch)? {
                return Ok(false);
            }
        }
    }

    /// Everything queued, for a write.
    fn take_queued(&self) -> Vec<Bytes> {
        Self::take(&mut self.pending())
    }

    fn take(pending: &mut Pending) -> Vec<Bytes> {
        pending.queued_messages = 0;
        pending.queued_bytes = 0;
        std::mem::take(&mut pending.chunks)
    }

    /// Writes `batch` (taken from the front of the queue) as far as the stream takes it
    /// without waiting; what it does not take goes back to the front of the queue. `true`
    /// when all of it went.
    fn write_now(
        &self,
        stream: &mut quinn::SendStream,
        mut batch: Vec<Bytes>,
    ) -> Result<bool, quinn::WriteError> {
        let mut at = 0;
        while at < batch.len() {
            // Polled once, never waited on: `write_chunks` is cancel safe (unless it
            // resolves, nothing was written), and the task that finishes the write polls
            // it again with a waker of its own.
            let write = std::pin::pin!(stream.write_chunks(&mut batch[at..]));
            let mut cx = Context::from_waker(Waker::noop());
            match write.poll(&mut cx) {
                Poll::Ready(Ok(written)) if written.bytes > 0 || written.chunks > 0 => {
                    at += written.chunks;
                }
                Poll::Ready(Err(e)) => return Err(e),
                Poll::Ready(Ok(_)) | Poll::Pending => break,
            }
        }
        if at == batch.len() {
            return Ok(true);
        }
        // Fully written chunks were emptied and a partly written one cut down: what is left
        // is exactly what the stream still owes, ahead of what was queued meanwhile.
        let mut pending = self.pending();
        let mut rest: Vec<Bytes> = batch.drain(at..).filter(|c| !c.is_empty()).collect();
        rest.append(&mut pending.chunks);
        pending.chunks = rest;
        Ok(false)
    }

    /// As the stream's writer (`pending.writing` set by the caller), writes everything
    /// queued, waiting for flow control up to `limit`, then gives the role up.
    async fn write_queued(&self, limit: Duration, reset_code: u32) -> Result<(), SharedSendError> {
        let mut writer = Writer {
            sender: self,
            stream: None,
            reset_code,
            done: false,
        };
        let deadline = tokio::time::Instant::now() + limit;
        let Ok(stream) = tokio::time::timeout_at(deadline, self.stream.lock()).await else {
            // Held by a `stream()` caller (a finish or reset) for longer than our limit.
            return writer.fail("lane busy past the write limit".into());
        };
        let stream = writer.stream.insert(stream);
        loop {
            let mut batch = {
                let mut pending = self.pending();
                if pending.chunks.is_empty() {
                    pending.writing = false;
                    writer.done = true;
                    return Ok(());
                }
                Self::take(&mut pending)
            };
            match tokio::time::timeout_at(deadline, stream.write_all_chunks(&mut batch)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return writer.fail(e.to_string()),
                Err(_) => {
                    let _ = stream.reset(reset_code.into());
                    return writer.fail("write timed out: the peer is not reading".into());
                }
            }
        }
    }

    /// True once the stream failed: nothing more can be sent on it.
    pub fn is_failed(&self) -> bool {
        self.pending().failed.is_some()
    }

    fn fail(&self, why: String) -> SharedSendError {
        let mut pending = self.pending();
        Self::take(&mut pending);
        pending.writing = false;
        SharedSendError::Failed(pending.failed.get_or_insert(why).clone())
    }

    /// The stream itself, once no writer holds it (what is queued is written first), for a
    /// finish or a reset.
    pub async fn stream(&self) -> tokio::sync::MutexGuard<'_, quinn::SendStream> {
        loop {
            let guard = self.stream.lock().await;
            let writer_waiting = {
                let pending = self.pending();
                pending.writing && pending.failed.is_none()
            };
            // A writer flagged but not yet holding the stream would write after us: let it.
            if !writer_waiting {
                return guard;
            }
            drop(guard);
            tokio::task::yield_now().await;
        }
    }
}

#[cfg(test)]
mod tests;
