//! Bare quinn, two ways of carrying requests on one connection: a QUIC stream per request
//! (what btlightning does, and `axonite/1` for large or streaming requests), or requests
//! pipelined on a few long-lived streams ("lanes"), each tagged with an id. No auth, no
//! codec, no actors: it shows what the stream per request itself costs, which is why
//! Axonite validators send small requests on a lane. Client and server share this process.
//!
//! ```text
//! # mode, requests, in flight, lanes, payload bytes
//! cargo run --release -p axonite-bench --example stream_reuse_probe -- per-stream 40000 32
//! cargo run --release -p axonite-bench --example stream_reuse_probe -- lanes 40000 32 1
//! cargo run --release -p axonite-bench --example stream_reuse_probe -- lanes-concurrent 40000 32 1
//! ```
//! `lanes` answers each request inline in the lane's reader; `lanes-concurrent` answers each
//! from its own task through a shared writer, as an Axonite miner does.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axonite::transport::{SERVER_NAME, TransportSettings, client_config, server_config};
use quinn::{Endpoint, RecvStream, SendStream};
use tokio::sync::oneshot;

type Waiters = Arc<Mutex<HashMap<u32, oneshot::Sender<usize>>>>;

struct Lane {
    send: tokio::sync::Mutex<SendStream>,
    waiters: Waiters,
}

/// Largest payload a lane frame may announce (`[id: u32][len: u32][payload]`).
const MAX_PAYLOAD: usize = 1 << 24;

/// Reads one lane frame whole, header included; `None` at the end of the lane, on an error,
/// or when the announced length is over [`MAX_PAYLOAD`].
async fn read_lane_frame(recv: &mut RecvStream) -> Option<Vec<u8>> {
    let mut head = [0u8; 8];
    recv.read_exact(&mut head).await.ok()?;
    let len = u32::from_be_bytes([head[4], head[5], head[6], head[7]]) as usize;
    if len > MAX_PAYLOAD {
        return None;
    }
    let mut frame = Vec::with_capacity(8 + len);
    frame.extend_from_slice(&head);
    frame.resize(8 + len, 0);
    recv.read_exact(&mut frame[8..]).await.ok()?;
    Some(frame)
}

async fn serve_lane(mut send: SendStream, mut recv: RecvStream) {
    while let Some(frame) = read_lane_frame(&mut recv).await {
        if send.write_all(&frame).await.is_err() {
            return;
        }
    }
}

/// Like [`serve_lane`], but each request is answered by its own task through the lane's
/// shared writer, as a server with concurrent handlers must.
async fn serve_lane_concurrently(send: SendStream, mut recv: RecvStream) {
    let send = Arc::new(tokio::sync::Mutex::new(send));
    while let Some(frame) = read_lane_frame(&mut recv).await {
        let send = send.clone();
        tokio::spawn(async move {
            let _ = send.lock().await.write_all(&frame).await;
        });
    }
}

async fn serve_stream(mut send: SendStream, mut recv: RecvStream) {
    if let Ok(data) = recv.read_to_end(MAX_PAYLOAD).await
        && send.write_all(&data).await.is_ok()
    {
        let _ = send.finish();
    }
}

async fn read_lane(mut recv: RecvStream, waiters: Waiters) {
    let mut head = [0u8; 8];
    loop {
        if recv.read_exact(&mut head).await.is_err() {
            return;
        }
        let id = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let len = u32::from_be_bytes([head[4], head[5], head[6], head[7]]) as usize;
        let mut body = vec![0u8; len];
        if recv.read_exact(&mut body).await.is_err() {
            return;
        }
        let waiter = waiters.lock().ok().and_then(|mut w| w.remove(&id));
        if let Some(w) = waiter {
            let _ = w.send(body.len());
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map_or("per-stream", String::as_str).to_owned();
    let requests: usize = args.get(2).map_or(Ok(20_000), |n| n.parse())?;
    let inflight: usize = args.get(3).map_or(Ok(32), |n| n.parse())?;
    let lanes: usize = args.get(4).map_or(Ok(4), |n| n.parse())?;
    let payload_len: usize = args.get(5).map_or(Ok(1024), |n| n.parse())?;
    let lanes_mode = mode.starts_with("lanes");
    let concurrent = mode == "lanes-concurrent";

    let settings = TransportSettings::default();
    // Axonite's knobs for an authenticated connection, as the bench's quinn ceiling sets them.
    let mut transport = quinn::TransportConfig::default();
    transport
        .max_concurrent_bidi_streams(settings.max_streams_per_connection.into())
        .max_concurrent_uni_streams(0u32.into())
        .stream_receive_window(settings.stream_receive_window.into());
    let mut config = server_config(&settings)?;
    config.transport_config(Arc::new(transport));
    let server = Endpoint::server(config, SocketAddr::from(([127, 0, 0, 1], 0)))?;
    let addr = server.local_addr()?;
    tokio::spawn(async move {
        while let Some(incoming) = server.accept().await {
            tokio::spawn(async move {
                let Ok(conn) = incoming.await else { return };
                while let Ok((send, recv)) = conn.accept_bi().await {
                    if concurrent {
                        tokio::spawn(serve_lane_concurrently(send, recv));
                    } else if lanes_mode {
                        tokio::spawn(serve_lane(send, recv));
                    } else {
                        tokio::spawn(serve_stream(send, recv));
                    }
                }
            });
        }
    });
    let mut client = Endpoint::client(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    client.set_default_client_config(client_config(&settings)?);
    let conn = client.connect(addr, SERVER_NAME)?.await?;
    let mut lane_set = Vec::new();
    if lanes_mode {
        for _ in 0..lanes {
            let (send, recv) = conn.open_bi().await?;
            let waiters: Waiters = Arc::default();
            tokio::spawn(read_lane(recv, waiters.clone()));
            lane_set.push(Lane {
                send: tokio::sync::Mutex::new(send),
                waiters,
            });
        }
    }
    let lane_set = Arc::new(lane_set);
    let next_id = Arc::new(AtomicU32::new(0));
    let payload = Arc::new(vec![0xA5u8; payload_len]);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for k in 0..inflight {
        let n = requests / inflight + usize::from(k < requests % inflight);
        let (conn, lane_set, next_id, payload) = (
            conn.clone(),
            lane_set.clone(),
            next_id.clone(),
            payload.clone(),
        );
        tasks.spawn(async move {
            for _ in 0..n {
                if lane_set.is_empty() {
                    let (mut send, mut recv) = conn.open_bi().await.map_err(|e| e.to_string())?;
                    send.write_all(&payload).await.map_err(|e| e.to_string())?;
                    send.finish().map_err(|e| e.to_string())?;
                    recv.read_to_end(MAX_PAYLOAD)
                        .await
                        .map_err(|e| e.to_string())?;
                } else {
                    let id = next_id.fetch_add(1, Ordering::Relaxed);
                    let lane = &lane_set[id as usize % lane_set.len()];
                    let (tx, rx) = oneshot::channel();
                    lane.waiters
                        .lock()
                        .map_err(|e| e.to_string())?
                        .insert(id, tx);
                    let mut frame = Vec::with_capacity(8 + payload.len());
                    frame.extend_from_slice(&id.to_be_bytes());
                    frame.extend_from_slice(&(payload.len() as u32).to_be_bytes());
                    frame.extend_from_slice(&payload);
                    lane.send
                        .lock()
                        .await
                        .write_all(&frame)
                        .await
                        .map_err(|e| e.to_string())?;
                    rx.await.map_err(|e| e.to_string())?;
                }
            }
            Ok::<(), String>(())
        });
    }
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    let elapsed = started.elapsed();
    println!(
        "{mode} ({} lanes): {requests} echoes of {payload_len} B, {inflight} in flight: {:.0} req/s, {:.1} µs each",
        lane_set.len(),
        requests as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / requests as f64
    );
    conn.close(0u32.into(), b"done");
    Ok(())
}
