//! Handlers learn who called: hotkey, uid, stake and permit from the miner's directory.

use std::time::Duration;

use axonite::directory::{StaticDirectory, ValidatorInfo};
use axonite::{Admission, Handler, HandlerError, Keypair, RequestContext, StatusCode, Synapse};
use axonite_actors::QueryError;
use axonite_actors::miner::ValidatorGate;
use axonite_e2e::{bounded, miner_builder, validator_with};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
struct WhoAmI;

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Seen {
    hotkey: String,
    uid: Option<u16>,
    stake: f64,
    permit: bool,
}

impl Synapse for WhoAmI {
    const NAME: &'static str = "WhoAmI";
    type Response = Seen;
}

struct Mirror;
impl Admission<WhoAmI> for Mirror {}
impl Handler<WhoAmI> for Mirror {
    async fn forward(&self, ctx: &RequestContext, _: WhoAmI) -> Result<Seen, HandlerError> {
        Ok(Seen {
            hotkey: ctx.caller.hotkey.to_ss58(),
            uid: ctx.caller.uid,
            stake: ctx.caller.stake,
            permit: ctx.caller.validator_permit,
        })
    }
}

#[tokio::test]
async fn handlers_see_the_callers_uid_stake_and_permit_from_the_directory() {
    bounded(20, async {
        let known = Keypair::generate();
        let directory =
            StaticDirectory::new([(known.hotkey(), ValidatorInfo::new(3, 1_500.0, true))]);
        let miner = miner_builder()
            .directory(directory)
            .handler::<WhoAmI, _>(Mirror)
            .start()
            .await
            .unwrap();

        let validator = validator_with(known.clone()).await;
        let seen = validator
            .query_with_timeout(&miner.peer(), &WhoAmI, Duration::from_secs(5))
            .await
            .outcome
            .unwrap();
        assert_eq!(
            seen,
            Seen {
                hotkey: known.hotkey().to_ss58(),
                uid: Some(3),
                stake: 1_500.0,
                permit: true
            }
        );

        // Unknown callers are served (not required) but carry no uid, stake or permit.
        let stranger = validator_with(Keypair::generate()).await;
        let seen = stranger
            .query_with_timeout(&miner.peer(), &WhoAmI, Duration::from_secs(5))
            .await
            .outcome
            .unwrap();
        assert_eq!((seen.uid, seen.stake, seen.permit), (None, 0.0, false));

        validator.shutdown().await;
        stranger.shutdown().await;
        miner.shutdown(Duration::from_secs(1)).await;
    })
    .await;
}

#[tokio::test]
async fn a_miner_requiring_known_validators_refuses_strangers_at_the_handshake() {
    bounded(20, async {
        let known = Keypair::generate();
        let miner = miner_builder()
            .directory(StaticDirectory::new([(
                known.hotkey(),
                ValidatorInfo::new(0, 10.0, true),
            )]))
            .configure(|c| c.gate = ValidatorGate::PERMITTED)
            .handler::<WhoAmI, _>(Mirror)
            .start()
            .await
            .unwrap();

        let stranger = validator_with(Keypair::generate()).await;
        let refused = stranger
            .query_with_timeout(&miner.peer(), &WhoAmI, Duration::from_secs(5))
            .await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        assert!(
            matches!(&refused.outcome, Err(QueryError::Handshake(f)) if f.to_string().contains("not a registered validator")),
            "{:?}",
            refused.outcome
        );
        assert_eq!(miner.stats().handshakes_failed, 1);

        let validator = validator_with(known).await;
        let served = validator
            .query_with_timeout(&miner.peer(), &WhoAmI, Duration::from_secs(5))
            .await;
        assert_eq!(served.status(), StatusCode::OK);

        stranger.shutdown().await;
        validator.shutdown().await;
        miner.shutdown(Duration::from_secs(1)).await;
    })
    .await;
}
