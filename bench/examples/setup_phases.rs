//! Where a fresh Axonite client's connection setup goes, phase by phase (the `echo`
//! scenario's "connect+first" is their sum): key generation, validator start (endpoint and
//! actor tree), connect (QUIC + TLS, then the sr25519 handshake round trip), first echo.
//! Miner and validator share this process, so the figures are for comparison between phases
//! and between builds on one machine, not absolute.
//!
//! ```text
//! cargo run --release -p axonite-bench --example setup_phases -- 300
//! ```

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axonite::transport::{TransportSettings, bind_endpoint};
use axonite::{Keypair, Peer};
use axonite_actors::{Miner, Validator};
use axonite_bench::echo::{BenchEcho, EchoHandler};

const LOOPBACK: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0);

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let samples: usize = std::env::args().nth(1).map_or(Ok(300), |n| n.parse())?;
    let miner = Miner::builder(Keypair::generate())
        .netuid(1)
        .listen(LOOPBACK)
        .handler::<BenchEcho, _>(EchoHandler)
        .start()
        .await?;
    let peer = Peer::new(miner.hotkey(), miner.local_addr());
    let request = BenchEcho {
        payload: vec![1; 1024],
    };
    let names = [
        "key generation",
        "bare endpoint",
        "validator start",
        "connect",
        "first echo",
        "total",
    ];
    let mut phases: Vec<Vec<Duration>> = vec![Vec::with_capacity(samples); names.len()];
    for _ in 0..samples {
        // For reference: the quinn endpoint alone, as every client (any system) creates one.
        let started = Instant::now();
        drop(bind_endpoint(
            LOOPBACK,
            &TransportSettings::default(),
            None,
        )?);
        phases[1].push(started.elapsed());

        let t0 = Instant::now();
        let keypair = Keypair::generate();
        let t1 = Instant::now();
        let validator = Validator::builder(keypair)
            .netuid(1)
            .bind(LOOPBACK)
            .start()
            .await?;
        let t2 = Instant::now();
        validator.connect(&peer).await?;
        let t3 = Instant::now();
        let answer = validator
            .query_with_timeout(&peer, &request, Duration::from_secs(5))
            .await;
        let t4 = Instant::now();
        answer.outcome?;
        for (i, d) in [t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0]
            .into_iter()
            .enumerate()
        {
            phases[if i == 0 { 0 } else { i + 1 }].push(d);
        }
        validator.shutdown().await;
    }
    println!("| phase | p50 ms | p90 ms |\n| --- | --- | --- |");
    for (name, mut durations) in names.into_iter().zip(phases) {
        durations.sort();
        let at =
            |q: f64| durations[((durations.len() as f64 * q) as usize).min(durations.len() - 1)];
        println!(
            "| {name} | {:.3} | {:.3} |",
            at(0.5).as_secs_f64() * 1e3,
            at(0.9).as_secs_f64() * 1e3
        );
    }
    miner.shutdown(Duration::from_secs(1)).await;
    Ok(())
}
