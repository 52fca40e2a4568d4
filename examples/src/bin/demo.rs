//! The local demo: several echo miners and one validator on 127.0.0.1, no chain needed.
//!
//! ```text
//! cargo run --release -p axonite-examples --bin demo [-- --miners 5 --rounds 3 --payload 1024]
//! ```
//!
//! Wallets are generated into a temporary directory in the bittensor layout and loaded back
//! the way a real miner loads its hotkey. The validator queries every miner each round (fan
//! out), prints a table, scores miners by success, and prints the weights it would set.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Duration;

use axonite::identity::{Keypair, WalletLocation, write_hotkey_file};
use axonite::{Hotkey, Peer, StatusCode};
use axonite_actors::{Miner, QueryResult, Validator};
use axonite_examples::demo_miners::{Behaviour, DemoMiner};
use axonite_examples::echo::{Echo, EchoReply};

const NETUID: u16 = 1;

struct Options {
    miners: usize,
    rounds: usize,
    payload: usize,
    timeout: Duration,
}

fn parse_options() -> Result<Options, String> {
    let mut opts = Options {
        miners: 5,
        rounds: 3,
        payload: 1024,
        timeout: Duration::from_millis(500),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| format!("{name} needs a value"))?
                .parse::<usize>()
                .map_err(|e| format!("{name}: {e}"))
        };
        match flag.as_str() {
            "--miners" => opts.miners = value("--miners")?.clamp(1, 64),
            "--rounds" => opts.rounds = value("--rounds")?.clamp(1, 100),
            "--payload" => opts.payload = value("--payload")?.min(4 * 1024 * 1024),
            "--timeout-ms" => opts.timeout = Duration::from_millis(value("--timeout-ms")? as u64),
            "-h" | "--help" => {
                println!(
                    "usage: demo [--miners N (5)] [--rounds N (3)] [--payload BYTES (1024)] [--timeout-ms MS (500)]"
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    Ok(opts)
}

/// Miner 1 is slow (800 ms > the 500 ms timeout), miner 2 panics on its second request;
/// the rest are honest.
fn behaviour(index: usize) -> Behaviour {
    match index {
        1 => Behaviour::Slow(Duration::from_millis(800)),
        2 => Behaviour::PanicsOnce(2),
        _ => Behaviour::Honest,
    }
}

/// Writes a fresh hotkey in the bittensor wallet layout and loads it back.
fn wallet(root: &std::path::Path, name: &str) -> Result<Keypair, String> {
    let location = WalletLocation::new(root, name, "default");
    write_hotkey_file(&location, &Keypair::generate()).map_err(|e| e.to_string())?;
    location.load_hotkey().map_err(|e| e.to_string())
}

fn short(hotkey: &Hotkey) -> String {
    let s = hotkey.to_ss58();
    format!("{}…{}", &s[..6], &s[s.len() - 4..])
}

fn summary(result: &QueryResult<EchoReply>, sent: &[u8]) -> String {
    match &result.outcome {
        Ok(reply) if reply.payload == sent => format!("echoed {} B", reply.payload.len()),
        Ok(reply) => format!("WRONG payload ({} B)", reply.payload.len()),
        Err(e) => e.to_string(),
    }
}

async fn run(opts: Options) -> Result<(), String> {
    let wallets = tempfile::tempdir().map_err(|e| e.to_string())?;
    println!(
        "Axonite demo: {} miners, 1 validator, {} rounds, {} B payload, netuid {NETUID}, wallets in {}",
        opts.miners,
        opts.rounds,
        opts.payload,
        wallets.path().display()
    );

    let mut miners = Vec::new();
    for i in 0..opts.miners {
        let keypair = wallet(wallets.path(), &format!("miner{i}"))?;
        let miner = Miner::builder(keypair)
            .netuid(NETUID)
            .listen(([127, 0, 0, 1], 0).into())
            .handler::<Echo, _>(DemoMiner::new(behaviour(i)))
            .start()
            .await
            .map_err(|e| format!("miner {i}: {e}"))?;
        miners.push(miner);
    }
    let peers: Vec<Peer> = miners.iter().map(Miner::peer).collect();
    let uids: HashMap<Hotkey, usize> = peers
        .iter()
        .enumerate()
        .map(|(i, p)| (p.hotkey, i))
        .collect();

    let validator = Validator::builder(wallet(wallets.path(), "validator")?)
        .netuid(NETUID)
        .bind(([127, 0, 0, 1], 0).into())
        .start()
        .await
        .map_err(|e| format!("validator: {e}"))?;
    println!("validator {} started\n", validator.hotkey());

    let mut scores = vec![0.0f64; peers.len()];
    let alpha = 0.5;
    for round in 1..=opts.rounds {
        let payload: Vec<u8> = (0..opts.payload).map(|i| (i * 31 + round) as u8).collect();
        let request = Echo {
            payload: payload.clone(),
        };
        let results = validator.query_many(&peers, &request, opts.timeout).await;
        println!("round {round}");
        println!(
            "| uid | hotkey        | address          | status                  | latency   | response"
        );
        println!(
            "|-----|---------------|------------------|-------------------------|-----------|---------"
        );
        for r in &results {
            let uid = uids.get(&r.peer.hotkey).copied().unwrap_or(usize::MAX);
            let ok = r.status() == StatusCode::OK
                && r.response().is_some_and(|reply| reply.payload == payload);
            if let Some(score) = scores.get_mut(uid) {
                *score = alpha * f64::from(u8::from(ok)) + (1.0 - alpha) * *score;
            }
            println!(
                "| {uid:>3} | {:<13} | {:<16} | {:<23} | {:>6.2} ms | {}",
                short(&r.peer.hotkey),
                r.peer.addr,
                r.status().to_string(),
                r.latency.as_secs_f64() * 1e3,
                summary(r, &payload)
            );
        }
        println!();
    }

    let total: f64 = scores.iter().sum();
    println!("weights the validator would set (no chain in this demo, so none are submitted):");
    for (uid, score) in scores.iter().enumerate() {
        let weight = if total > 0.0 { score / total } else { 0.0 };
        println!("  uid {uid}: score {score:.3} -> weight {weight:.3}");
    }

    validator.shutdown().await;
    for miner in miners {
        miner.shutdown(Duration::from_secs(2)).await;
    }
    println!("\ndone: all miners and the validator stopped cleanly");
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_target(false)
        .init();
    // One line per panic instead of a backtrace: miner 2 panics on purpose, and the miner's
    // supervisor logs the restart.
    std::panic::set_hook(Box::new(|info| tracing::error!("{info}")));
    let opts = match parse_options() {
        Ok(opts) => opts,
        Err(e) => {
            eprintln!("demo: {e}");
            return ExitCode::from(2);
        }
    };
    match run(opts).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo failed: {e}");
            ExitCode::FAILURE
        }
    }
}
