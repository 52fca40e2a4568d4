//! The `/metrics` endpoint: a deliberately small HTTP/1.1 responder on a TCP listener the
//! runtime bound at start. Requests are read under a size and time limit, a few at a time;
//! anything but `GET /metrics` gets 404 or 405.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axonite::service::BoxFuture;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use crate::supervisor::{ChildSpec, SupervisorMsg};
use crate::task::{OwnedTask, TaskEnded};

/// Renders the metrics page on demand.
pub(crate) type Render = Arc<dyn Fn() -> BoxFuture<'static, String> + Send + Sync>;

/// The largest request head read.
const MAX_REQUEST: usize = 8 * 1024;
/// A scrape must send its request and take its answer within this.
const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// Scrapes served at once; more are dropped.
const CONCURRENT: usize = 8;

/// The supervisor of a runtime, known only once the tree it heads is running; a scrape
/// asks it for restart counts.
pub(crate) type SupervisorCell = Arc<OnceLock<ActorRef<SupervisorMsg>>>;

/// Binds `addr` and returns the supervised child that serves `render` there, with the
/// bound address (port 0 picks one). Binding here, at start, makes a taken port a start
/// error and keeps the port across restarts of the child.
pub(crate) async fn endpoint(
    addr: SocketAddr,
    render: Render,
) -> std::io::Result<(ChildSpec, SocketAddr)> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let listener = Arc::new(listener);
    let child = ChildSpec::from_actor("metrics", move || {
        (MetricsServer, (listener.clone(), render.clone()))
    });
    Ok((child, bound))
}

/// Serves `/metrics` from a listener bound by the runtime (so a restart of this actor keeps
/// the port).
pub(crate) struct MetricsServer;

impl Actor for MetricsServer {
    type Msg = TaskEnded;
    type State = OwnedTask;
    type Arguments = (Arc<TcpListener>, Render);

    async fn pre_start(
        &self,
        myself: ActorRef<TaskEnded>,
        (listener, render): Self::Arguments,
    ) -> Result<OwnedTask, ActorProcessingErr> {
        Ok(OwnedTask::spawn(
            "metrics endpoint",
            myself,
            accept_loop(listener, render),
        ))
    }

    async fn handle(
        &self,
        _: ActorRef<TaskEnded>,
        TaskEnded(ended): TaskEnded,
        _: &mut OwnedTask,
    ) -> Result<(), ActorProcessingErr> {
        // The loop only ends when accepting fails: fail, and be restarted.
        ended?;
        Err("metrics listener stopped accepting".into())
    }
}

async fn accept_loop(listener: Arc<TcpListener>, render: Render) {
    let permits = Arc::new(Semaphore::new(CONCURRENT));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!(error = %e, "metrics endpoint: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tracing::debug!(%peer, "metrics endpoint busy: scrape dropped");
            continue;
        };
        let render = render.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(IO_TIMEOUT, serve(stream, render)).await;
            drop(permit);
        });
    }
}

async fn serve(mut stream: TcpStream, render: Render) {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > MAX_REQUEST {
            respond(&mut stream, "431 Request Header Fields Too Large", "").await;
            return;
        }
    }
    let line = head.split(|b| *b == b'\r').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    match (method, path) {
        ("GET", "/metrics") => {
            let page = render().await;
            respond(&mut stream, "200 OK", &page).await;
        }
        ("GET", _) => respond(&mut stream, "404 Not Found", "try /metrics\n").await,
        _ => respond(&mut stream, "405 Method Not Allowed", "").await,
    }
}

async fn respond(stream: &mut TcpStream, status: &str, body: &str) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if stream.write_all(head.as_bytes()).await.is_ok() {
        let _ = stream.write_all(body.as_bytes()).await;
    }
    let _ = stream.shutdown().await;
}
