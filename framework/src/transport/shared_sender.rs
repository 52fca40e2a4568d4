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
/// one more writes them itself, at once. 16 of a tick's 32 (measured with
/// `scripts/bench-syscalls`: 1 KB requests at 32 in flight, 8 to 16 did best).
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
    /// Once 16 messages or 16 KiB wait for that task, this call writes them itself, at once, as far as the stream takes them (when
    /// no one holds the stream); the task writes the rest.
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
        // Held: the writer is writing now, ours included, or a finish or reset has it.
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
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::transport::{TransportSettings, loopback};

    async fn pair() -> ([quinn::Endpoint; 2], SharedSender, quinn::RecvStream) {
        let settings = TransportSettings::default();
        let (endpoints, to_server, at_server) = loopback::pair(&settings).await;
        settings.authenticated(&at_server);
        let (mut send, _) = to_server.open_bi().await.unwrap();
        // The peer learns of a stream only once something is sent on it.
        send.write_all(b"<").await.unwrap();
        let (_, mut recv) = at_server.accept_bi().await.unwrap();
        let mut first = [0u8; 1];
        recv.read_exact(&mut first).await.unwrap();
        (endpoints, SharedSender::new(send), recv)
    }

    /// Reads (and drops) everything until the stream ends: how it ended.
    async fn read_until_the_end(
        recv: &mut quinn::RecvStream,
    ) -> Result<Option<usize>, quinn::ReadError> {
        let mut buf = vec![0u8; 8 << 20];
        loop {
            match recv.read(&mut buf).await {
                Ok(Some(_)) => continue,
                other => return other,
            }
        }
    }

    /// A send after the failure failed, and the reader sees the stream reset with `code`.
    async fn assert_failed_and_reset(
        later: Result<(), SharedSendError>,
        recv: &mut quinn::RecvStream,
        code: u32,
    ) {
        assert!(
            matches!(later, Err(SharedSendError::Failed(_))),
            "{later:?}"
        );
        let read = read_until_the_end(recv).await;
        assert!(
            matches!(read, Err(quinn::ReadError::Reset(c)) if c == code.into()),
            "{read:?}"
        );
    }

    /// Reads the stream to its end: 16 tasks' 50 messages each (a tag `[task, n]`, then 300
    /// bytes of `task`), each whole and each task's in order.
    async fn assert_sixteen_tasks_fifty_messages_each(recv: &mut quinn::RecvStream) {
        let all = recv.read_to_end(1 << 20).await.unwrap();
        assert_eq!(all.len(), 16 * 50 * 302);
        let mut next = [0u8; 16];
        for message in all.chunks(302) {
            let (task, n) = (message[0], message[1]);
            assert!(message[2..].iter().all(|b| *b == task), "interleaved");
            // Each task's messages keep their order.
            assert_eq!(next[task as usize], n);
            next[task as usize] += 1;
        }
        assert!(next.iter().all(|n| *n == 50));
    }

    /// Sixteen tasks send fifty messages each through `send`, yielding now and then so
    /// their sends interleave; the stream is then finished (after everything queued).
    async fn sixteen_tasks_send<F, Fut>(sender: &Arc<SharedSender>, send: F)
    where
        F: Fn(Arc<SharedSender>, [Bytes; 2]) -> Fut + Clone + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        let mut tasks = Vec::new();
        for task in 0u8..16 {
            let (sender, send) = (sender.clone(), send.clone());
            tasks.push(tokio::spawn(async move {
                for n in 0u8..50 {
                    // Two chunks of one message: a tag, then 300 bytes of the same tag.
                    let tag = Bytes::from(vec![task, n]);
                    let body = Bytes::from(vec![task; 300]);
                    send(sender.clone(), [tag, body]).await;
                    if n % 8 == 0 {
                        tokio::task::yield_now().await;
                    }
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        // Waits for whichever task is writing to write everything queued.
        sender.stream().await.finish().unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn messages_from_many_tasks_arrive_whole_and_never_interleaved() {
        let (_endpoints, sender, mut recv) = pair().await;
        let sender = Arc::new(sender);
        sixteen_tasks_send(&sender, |sender, message| async move {
            sender
                .send(message, Duration::from_secs(5), 9)
                .await
                .unwrap();
        })
        .await;
        assert_sixteen_tasks_fifty_messages_each(&mut recv).await;
    }

    #[tokio::test]
    async fn a_writer_cancelled_mid_write_resets_the_stream_and_fails_the_sender() {
        let (_endpoints, sender, mut recv) = pair().await;
        // More than the stream window: the write blocks until the peer reads, which it never
        // does; the caller gives up first.
        let big = Bytes::from(vec![1u8; 4 << 20]);
        let cancelled = tokio::time::timeout(
            Duration::from_millis(200),
            sender.send([big], Duration::from_secs(30), 7),
        )
        .await;
        assert!(
            cancelled.is_err(),
            "the write should still have been blocked"
        );
        assert!(sender.is_failed());
        let later = sender
            .send([Bytes::from_static(b"x")], Duration::from_secs(1), 7)
            .await;
        assert_failed_and_reset(later, &mut recv, 7).await;
    }

    #[tokio::test]
    async fn a_peer_that_stops_reading_gets_the_stream_reset_and_later_sends_fail() {
        let (_endpoints, sender, mut recv) = pair().await;
        // 2 MiB of stream window, then flow control holds the writer.
        let big = Bytes::from(vec![1u8; 4 << 20]);
        let limit = Duration::from_millis(300);
        let first = sender.send([big], limit, 9).await;
        assert!(
            matches!(first, Err(SharedSendError::Failed(_))),
            "{first:?}"
        );
        let later = sender.send([Bytes::from_static(b"x")], limit, 9).await;
        assert_failed_and_reset(later, &mut recv, 9).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn pushed_messages_arrive_whole_and_in_order_even_past_the_stream_window() {
        past_the_stream_window(|sender, message| {
            sender.push(message, Duration::from_secs(10), 9).unwrap();
        })
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn messages_sent_soon_arrive_whole_and_in_order_even_past_the_stream_window() {
        // Early writes that flow control cuts short leave the rest to the writer task.
        past_the_stream_window(|sender, message| {
            sender
                .send_soon(message, Duration::from_secs(10), 9)
                .unwrap();
        })
        .await;
    }

    /// Sends 3 MiB in all, past the 2 MiB stream window, with `send` (which must not wait:
    /// what the stream cannot take at once is written by a task of the sender's own), then
    /// reads and checks it all.
    async fn past_the_stream_window(send: impl Fn(&Arc<SharedSender>, [Bytes; 2])) {
        let (_endpoints, sender, mut recv) = pair().await;
        let sender = Arc::new(sender);
        for n in 0u8..48 {
            let tag = Bytes::from(vec![n]);
            let body = Bytes::from(vec![n; 64 << 10]);
            send(&sender, [tag, body]);
        }
        let read = tokio::spawn(async move { recv.read_to_end(8 << 20).await.unwrap() });
        // The stream is the writer's until everything queued went: this waits for it.
        sender.stream().await.finish().unwrap();
        let all = read.await.unwrap();
        assert_eq!(all.len(), 48 * ((64 << 10) + 1));
        for (n, message) in all.chunks((64 << 10) + 1).enumerate() {
            assert!(message.iter().all(|b| usize::from(*b) == n), "message {n}");
        }
    }

    #[tokio::test]
    async fn a_peer_that_stops_reading_gets_a_pushed_stream_reset_and_later_pushes_fail() {
        let (_endpoints, sender, mut recv) = pair().await;
        let sender = Arc::new(sender);
        let big = Bytes::from(vec![1u8; 4 << 20]);
        sender.push([big], Duration::from_millis(300), 9).unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !sender.is_failed() {
            assert!(tokio::time::Instant::now() < deadline, "never reset");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let later = sender.push([Bytes::from_static(b"x")], Duration::from_secs(1), 9);
        assert_failed_and_reset(later, &mut recv, 9).await;
    }

    /// Messages still waiting for a `send_soon` writer.
    fn queued(sender: &SharedSender) -> usize {
        sender.pending().chunks.len()
    }

    #[tokio::test]
    async fn a_batch_sent_soon_leaves_in_parts_once_enough_waits() {
        let (_endpoints, sender, mut recv) = pair().await;
        let sender = Arc::new(sender);
        let send = |n: u8, len: usize| {
            let message = [Bytes::from(vec![n]), Bytes::from(vec![n; len])];
            sender
                .send_soon(message, Duration::from_secs(5), 9)
                .unwrap();
        };
        // One thread and no yield: the writer task cannot run, so only an early write empties
        // the queue.
        for n in 0..EARLY_WRITE_MESSAGES - 1 {
            send(n as u8, 100);
        }
        assert_eq!(queued(&sender), 2 * (EARLY_WRITE_MESSAGES - 1));
        send(EARLY_WRITE_MESSAGES as u8 - 1, 100);
        assert_eq!(
            queued(&sender),
            0,
            "the 16th message should write the batch"
        );
        // Counted afresh after a write; bytes count too.
        send(EARLY_WRITE_MESSAGES as u8, EARLY_WRITE_BYTES / 2);
        assert_eq!(queued(&sender), 2);
        send(EARLY_WRITE_MESSAGES as u8 + 1, EARLY_WRITE_BYTES / 2);
        assert_eq!(queued(&sender), 0, "16 KiB waiting should write the batch");
        send(EARLY_WRITE_MESSAGES as u8 + 2, 100);
        assert_eq!(queued(&sender), 2, "the rest waits for the writer task");
        // The writer task writes the rest; then everything arrived whole and in order.
        sender.stream().await.finish().unwrap();
        let all = recv.read_to_end(1 << 20).await.unwrap();
        let mut at = 0;
        for n in 0..EARLY_WRITE_MESSAGES as u8 + 3 {
            let len = if (EARLY_WRITE_MESSAGES as u8..EARLY_WRITE_MESSAGES as u8 + 2).contains(&n) {
                EARLY_WRITE_BYTES / 2
            } else {
                100
            };
            assert_eq!(all[at], n, "message {n} out of order");
            assert!(
                all[at + 1..at + 1 + len].iter().all(|b| *b == n),
                "message {n} cut"
            );
            at += 1 + len;
        }
        assert_eq!(at, all.len());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn messages_sent_soon_from_many_tasks_arrive_whole_and_in_order() {
        let (_endpoints, sender, mut recv) = pair().await;
        let sender = Arc::new(sender);
        sixteen_tasks_send(&sender, |sender, message| async move {
            sender
                .send_soon(message, Duration::from_secs(5), 9)
                .unwrap();
        })
        .await;
        assert_sixteen_tasks_fifty_messages_each(&mut recv).await;
    }
}
