//! Progress where a user waits (connecting to the chain, serving the axon, the first
//! metagraph sync, weights landing), instead of silence: a line when the wait starts, a
//! "still waiting" line every few seconds while it lasts, and a line with its duration when
//! it ends ("done", or "failed": the caller reports the error itself). Plain log lines, so they read the same in a terminal, journald or JSON logs.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// How often a long wait says it is still waiting.
const STILL_WAITING_EVERY: Duration = Duration::from_secs(5);

/// Runs `fut`, reporting the wait for `what` at info level.
pub async fn waiting_for<T, E, F>(what: &str, fut: F) -> Result<T, E>
where
    F: Future<Output = Result<T, E>>,
{
    waiting_for_every(what, STILL_WAITING_EVERY, fut).await
}

async fn waiting_for_every<T, E, F>(what: &str, every: Duration, fut: F) -> Result<T, E>
where
    F: Future<Output = Result<T, E>>,
{
    let started = Instant::now();
    tracing::info!("{what}...");
    let mut fut = std::pin::pin!(fut);
    let mut ticks = tokio::time::interval_at(started + every, every);
    loop {
        tokio::select! {
            output = &mut fut => {
                let took = started.elapsed().as_secs_f64();
                match &output {
                    Ok(_) => tracing::info!("{what}: done in {took:.1} s"),
                    Err(_) => tracing::info!("{what}: failed after {took:.1} s"),
                }
                return output;
            }
            _ = ticks.tick() => {
                let waited = started.elapsed().as_secs();
                tracing::info!("{what}: still waiting ({waited} s)");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Collects formatted log lines.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Runs `fut` under `waiting_for_every` (5 s) and returns its result and the progress
    /// lines it logged.
    async fn progress_of<T>(
        fut: impl Future<Output = Result<T, ()>>,
    ) -> (Result<T, ()>, Vec<String>) {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .without_time()
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let output = waiting_for_every("syncing the metagraph", Duration::from_secs(5), fut).await;
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        let got = text
            .lines()
            .filter_map(|l| l.split_once("progress: ").map(|(_, m)| m.to_owned()))
            .collect();
        (output, got)
    }

    #[tokio::test(start_paused = true)]
    async fn a_long_wait_says_it_started_is_still_waiting_and_ended() {
        let (answer, got) = progress_of(async {
            tokio::time::sleep(Duration::from_secs(12)).await;
            Ok(42)
        })
        .await;
        assert_eq!(answer, Ok(42));
        assert_eq!(
            got,
            [
                "syncing the metagraph...",
                "syncing the metagraph: still waiting (5 s)",
                "syncing the metagraph: still waiting (10 s)",
                "syncing the metagraph: done in 12.0 s",
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_that_fails_does_not_say_done() {
        let (answer, got) = progress_of(async {
            tokio::time::sleep(Duration::from_secs(2)).await;
            Err::<u8, ()>(())
        })
        .await;
        assert_eq!(answer, Err(()));
        assert_eq!(
            got,
            [
                "syncing the metagraph...",
                "syncing the metagraph: failed after 2.0 s",
            ]
        );
    }
}
