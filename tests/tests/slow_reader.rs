//! A validator that stops reading cannot pin a miner's stream: the response write is bounded
//! and the stream reset (freeing what was buffered), and the connection keeps serving.

use std::time::Duration;

use axonite::Keypair;
use axonite::protocol::StatusCode;
use axonite::protocol::codec::encode_body;
use axonite_e2e::raw::RawConnection;
use axonite_e2e::{bounded, miner_builder};
use axonite_examples::echo::{Echo, EchoMiner, EchoReply, Words};

/// Reset code the miner uses when a validator stops reading.
const WRITE_TIMED_OUT: u32 = 2;

async fn echo_still_works(raw: &RawConnection) {
    let ping = Echo {
        payload: b"ping".to_vec(),
    };
    let reply = raw.request_typed("Echo", 5_000, &ping).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.decode::<EchoReply>().payload, b"ping");
}

#[tokio::test]
async fn a_unary_response_nobody_reads_is_reset_after_the_write_timeout() {
    bounded(30, async {
        let miner = miner_builder()
            .configure(|c| c.response_write_timeout = Duration::from_millis(300))
            .handler::<Echo, _>(EchoMiner)
            .start()
            .await
            .unwrap();
        let raw = RawConnection::authenticated(&miner, &Keypair::generate()).await;
        // 6 MiB: three times the validator's 2 MiB stream window, so the miner's write blocks.
        let big = encode_body(&Echo {
            payload: vec![7u8; 6 * 1024 * 1024],
        })
        .unwrap();
        let mut recv = raw.send_request("Echo", 10_000, &big).await;
        // Wait for the reset without reading, so the window stays full.
        let reset = recv.received_reset().await.unwrap();
        assert_eq!(reset, Some(WRITE_TIMED_OUT.into()));
        echo_still_works(&raw).await;
        raw.close().await;
        miner.shutdown(Duration::from_secs(1)).await;
    })
    .await;
}

#[tokio::test]
async fn a_stream_nobody_reads_is_reset_after_its_deadline() {
    bounded(30, async {
        let miner = miner_builder()
            .configure(|c| c.response_write_timeout = Duration::from_millis(300))
            .handler::<Echo, _>(EchoMiner)
            .stream_handler::<Words, _>(EchoMiner)
            .start()
            .await
            .unwrap();
        let raw = RawConnection::authenticated(&miner, &Keypair::generate()).await;
        // 4 MiB of 16 KiB words: twice the validator's 2 MiB stream window, with a 500 ms
        // deadline, so the forwarding blocks on flow control and is cut at the deadline.
        let word = "w".repeat(16 * 1024);
        let text = vec![word; 256].join(" ");
        let body = encode_body(&Words { text }).unwrap();
        let mut recv = raw.send_request("Words", 500, &body).await;
        let reset = recv.received_reset().await.unwrap();
        assert_eq!(reset, Some(WRITE_TIMED_OUT.into()));
        echo_still_works(&raw).await;
        raw.close().await;
        miner.shutdown(Duration::from_secs(1)).await;
    })
    .await;
}
