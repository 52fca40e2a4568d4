//! The README's example: a synapse, a handler, a miner and a validator in one program.
//! Kept in sync with README.md; `scripts/test` runs it.

use std::time::Duration;

use axonite::{Admission, Handler, HandlerError, Keypair, RequestContext, Synapse};
use axonite_actors::{Miner, Validator};
use serde::{Deserialize, Serialize};

// The protocol: a request type, its response type, and a wire name.
#[derive(Serialize, Deserialize)]
struct Echo {
    text: String,
}
#[derive(Serialize, Deserialize)]
struct EchoReply {
    text: String,
    caller: String,
}
impl Synapse for Echo {
    const NAME: &'static str = "Echo";
    type Response = EchoReply;
}

// The miner's logic. The caller's hotkey was proven by the handshake.
struct EchoMiner;
impl Handler<Echo> for EchoMiner {
    async fn forward(&self, ctx: &RequestContext, req: Echo) -> Result<EchoReply, HandlerError> {
        Ok(EchoReply {
            text: req.text,
            caller: ctx.caller.hotkey.to_ss58(),
        })
    }
}
impl Admission<Echo> for EchoMiner {} // default verify, blacklist and priority (= stake)

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let miner = Miner::builder(Keypair::generate())
        .netuid(1)
        .listen("127.0.0.1:0".parse()?)
        .handler::<Echo, _>(EchoMiner)
        .start()
        .await?;

    let validator = Validator::builder(Keypair::generate())
        .netuid(1)
        .bind("127.0.0.1:0".parse()?)
        .start()
        .await?;
    let results = validator
        .query_many(
            &[miner.peer()],
            &Echo { text: "hi".into() },
            Duration::from_secs(2),
        )
        .await;
    for r in &results {
        println!("{} -> {} in {:?}", r.peer, r.status(), r.latency);
    }
    validator.shutdown().await;
    miner.shutdown(Duration::from_secs(2)).await;
    Ok(())
}
