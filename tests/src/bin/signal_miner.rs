//! A miner process for the graceful-shutdown test: serves a slow echo on loopback, prints
//! `READY <addr> <hotkey>`, and on SIGINT/SIGTERM lets requests in flight finish, then exits
//! 0. Arguments: handler delay in milliseconds, shutdown grace in milliseconds.

use std::time::Duration;

use axonite::{Admission, Handler, HandlerError, Keypair, RequestContext};
use axonite_actors::{Miner, shutdown_signal};
use axonite_examples::echo::{Echo, EchoReply};

struct SlowEcho(Duration);

impl Admission<Echo> for SlowEcho {}

impl Handler<Echo> for SlowEcho {
    async fn forward(
        &self,
        ctx: &RequestContext,
        request: Echo,
    ) -> Result<EchoReply, HandlerError> {
        tokio::time::sleep(self.0).await;
        Ok(EchoReply {
            payload: request.payload,
            caller: ctx.caller.hotkey.to_ss58(),
        })
    }
}

fn millis(arg: Option<String>, default: u64) -> Duration {
    Duration::from_millis(arg.and_then(|a| a.parse().ok()).unwrap_or(default))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let delay = millis(args.next(), 1_000);
    let grace = millis(args.next(), 5_000);
    let miner = Miner::builder(Keypair::generate())
        .netuid(axonite_e2e::NETUID)
        .listen(axonite_e2e::loopback())
        .handler::<Echo, _>(SlowEcho(delay))
        .start()
        .await?;
    println!("READY {} {}", miner.local_addr(), miner.hotkey());
    let signal = shutdown_signal().await;
    eprintln!("{signal}: draining");
    miner.shutdown(grace).await;
    eprintln!("stopped");
    Ok(())
}
