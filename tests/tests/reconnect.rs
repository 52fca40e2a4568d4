//! The validator's pool reconnects to a restarted miner and backs off from a dead one.

use std::time::Duration;

use axonite::{Keypair, Peer, StatusCode};
use axonite_actors::{Miner, QueryError};
use axonite_e2e::{NETUID, bounded, ping, validator};
use axonite_examples::echo::{Echo, EchoMiner};

async fn echo_miner_at(keypair: Keypair, addr: std::net::SocketAddr) -> Miner {
    Miner::builder(keypair)
        .netuid(NETUID)
        .listen(addr)
        .handler::<Echo, _>(EchoMiner)
        .start()
        .await
        .expect("miner starts")
}

#[tokio::test]
async fn a_restarted_miner_is_reconnected_transparently() {
    bounded(30, async {
        let keypair = Keypair::generate();
        let miner = echo_miner_at(keypair.clone(), "127.0.0.1:0".parse().unwrap()).await;
        let peer = miner.peer();
        let validator = validator().await;
        let first = validator
            .query_with_timeout(&peer, &ping(), Duration::from_secs(5))
            .await;
        assert_eq!(first.status(), StatusCode::OK);

        // The miner goes away and comes back on the same address with the same hotkey.
        miner.shutdown(Duration::from_secs(1)).await;
        let miner = echo_miner_at(keypair, peer.addr).await;

        // The old connection was closed by the miner; the pool notices and reconnects. The
        // first query may still race the close notification, so allow a couple of tries.
        let mut status = StatusCode::UNAVAILABLE;
        for _ in 0..20 {
            let r = validator
                .query_with_timeout(&peer, &ping(), Duration::from_secs(2))
                .await;
            status = r.status();
            if status == StatusCode::OK {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            miner.stats().handshakes_ok,
            1,
            "one new authenticated connection"
        );
        validator.shutdown().await;
        miner.shutdown(Duration::from_secs(1)).await;
    })
    .await;
}

#[tokio::test]
async fn an_unreachable_miner_is_backed_off_instead_of_redialled_at_once() {
    bounded(30, async {
        // Bind a UDP port and release it, so nothing listens there.
        let addr = std::net::UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let peer = Peer::new(Keypair::generate().hotkey(), addr);
        let validator = axonite_actors::Validator::builder(Keypair::generate())
            .netuid(NETUID)
            .bind("127.0.0.1:0".parse().unwrap())
            .configure(|c| {
                c.connect_timeout = Duration::from_millis(300);
                c.reconnect_backoff = c.reconnect_backoff.with_initial(Duration::from_secs(30));
            })
            .start()
            .await
            .unwrap();
        let first = validator
            .query_with_timeout(&peer, &ping(), Duration::from_secs(2))
            .await;
        assert_eq!(
            first.status(),
            StatusCode::UNAVAILABLE,
            "{:?}",
            first.outcome
        );
        let second = validator
            .query_with_timeout(&peer, &ping(), Duration::from_secs(2))
            .await;
        match &second.outcome {
            Err(QueryError::Unreachable(why)) => assert!(why.contains("backing off"), "{why}"),
            other => panic!("expected a backoff refusal, got {other:?}"),
        }
        validator.shutdown().await;
    })
    .await;
}
