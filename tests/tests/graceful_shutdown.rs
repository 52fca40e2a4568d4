//! SIGTERM on a miner process: requests in flight finish and are answered, then the process
//! exits 0 within its grace.

use std::process::Stdio;
use std::time::{Duration, Instant};

use axonite::peer::Peer;
use axonite::{Hotkey, StatusCode};
use axonite_e2e::{bounded, validator};
use axonite_examples::echo::Echo;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[tokio::test]
async fn sigterm_lets_requests_in_flight_finish_and_the_process_exits_0() {
    bounded(60, async {
        // Handlers take 1.5 s; the grace is 10 s.
        let mut child = Command::new(env!("CARGO_BIN_EXE_signal_miner"))
            .args(["1500", "10000"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the miner process starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let ready = lines
            .next_line()
            .await
            .expect("stdout is readable")
            .expect("the miner says READY");
        let mut words = ready.split(' ').skip(1);
        let addr = words
            .next()
            .and_then(|a| a.parse().ok())
            .expect("an address");
        let hotkey: Hotkey = words.next().and_then(|h| h.parse().ok()).expect("a hotkey");
        let peer = Peer::new(hotkey, addr);

        let validator = validator().await;
        let echo = Echo {
            payload: b"in flight".to_vec(),
        };
        let queries = async {
            let one = || validator.query_with_timeout(&peer, &echo, Duration::from_secs(10));
            tokio::join!(one(), one(), one())
        };
        let terminate = async {
            // Let the requests arrive, then stop the miner while they run.
            tokio::time::sleep(Duration::from_millis(500)).await;
            let pid = child.id().expect("the miner is running").to_string();
            let killed = Command::new("kill").args(["-TERM", &pid]).status().await;
            assert!(killed.expect("kill runs").success());
            Instant::now()
        };
        let ((a, b, c), signalled) = tokio::join!(queries, terminate);
        for r in [&a, &b, &c] {
            assert_eq!(r.status(), StatusCode::OK, "{:?}", r.outcome.as_ref().err());
        }
        let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
            .await
            .expect("the miner exits within its grace")
            .expect("the exit status is readable");
        assert!(status.success(), "{status}");
        assert!(signalled.elapsed() < Duration::from_secs(10));
        validator.shutdown().await;
    })
    .await;
}
