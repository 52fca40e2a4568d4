//! Tests of the shared sender over a real loopback QUIC connection.

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
