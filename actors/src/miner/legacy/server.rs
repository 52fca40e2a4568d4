//! The legacy HTTP listener actor: accepts TCP connections under the per-IP and global caps
//! and the per-IP connection rate, and serves each with hyper (HTTP/1.1 only, headers read
//! under a deadline). Connection tasks belong to the accept loop, so they end with the actor.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use ractor::{Actor, ActorProcessingErr, ActorRef};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use super::activity::{Activity, Tracked};
use super::request::serve_http;
use crate::miner::ip_slots::IpSlot;
use crate::miner::shared::MinerShared;
use crate::task::{OwnedTask, TaskEnded};

/// Accepts legacy HTTP connections on the miner's TCP port.
pub(crate) struct LegacyListener;

impl Actor for LegacyListener {
    type Msg = TaskEnded;
    type State = OwnedTask;
    type Arguments = (Arc<std::net::TcpListener>, Arc<MinerShared>);

    async fn pre_start(
        &self,
        myself: ActorRef<TaskEnded>,
        (listener, shared): Self::Arguments,
    ) -> Result<OwnedTask, ActorProcessingErr> {
        // A restarted listener takes the same socket again: the port never closes.
        let socket = listener.try_clone()?;
        socket.set_nonblocking(true)?;
        let listener = TcpListener::from_std(socket)?;
        Ok(OwnedTask::spawn(
            "legacy accept loop",
            myself,
            accept_loop(listener, shared),
        ))
    }

    async fn handle(
        &self,
        myself: ActorRef<TaskEnded>,
        TaskEnded(ended): TaskEnded,
        _: &mut OwnedTask,
    ) -> Result<(), ActorProcessingErr> {
        ended?;
        myself.stop(Some("legacy listener closed".into()));
        Ok(())
    }
}

/// The idle check runs at least every quarter of this.
const WATCH_MIN: Duration = Duration::from_millis(40);

/// Pause after an accept error (out of file descriptors, ...) so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

async fn accept_loop(listener: TcpListener, shared: Arc<MinerShared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) => {
                    if let Some(slot) = admit_connection(&shared, remote.ip()) {
                        connections.spawn(serve_connection(shared.clone(), stream, remote, slot));
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "legacy HTTP accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
            Some(joined) = connections.join_next(), if !connections.is_empty() => {
                if let Err(e) = joined
                    && e.is_panic()
                {
                    tracing::error!(error = %e, "legacy HTTP connection task panicked");
                }
            }
        }
    }
}

/// The caps a new connection must pass; `None` drops it (closing the socket).
fn admit_connection(shared: &Arc<MinerShared>, ip: IpAddr) -> Option<IpSlot> {
    let legacy = shared.legacy.as_ref()?;
    if !legacy.accepting.load(Ordering::Acquire) {
        return None;
    }
    if let Some(limiter) = &shared.connection_rate
        && limiter.check_key(&ip).is_err()
    {
        shared.stats.refused_rate.fetch_add(1, Ordering::Relaxed);
        return None;
    }
    let config = &shared.config.legacy;
    let slot =
        legacy
            .connections
            .try_acquire(ip, config.max_connections, config.max_connections_per_ip);
    if slot.is_none() {
        shared.stats.refused_busy.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(%ip, "legacy HTTP connection refused: connection cap");
    }
    slot
}

async fn serve_connection(
    shared: Arc<MinerShared>,
    stream: TcpStream,
    remote: SocketAddr,
    _slot: IpSlot,
) {
    let _ = stream.set_nodelay(true);
    let config = &shared.config.legacy;
    let limits = config.header_limits;
    let activity = Activity::new();
    let service = {
        let (shared, activity) = (shared.clone(), activity.clone());
        service_fn(move |request| {
            let (shared, busy) = (shared.clone(), activity.busy());
            async move {
                let response = serve_http(shared, request, remote).await;
                drop(busy);
                Ok::<_, Infallible>(response)
            }
        })
    };
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout)
        .max_headers(limits.max_headers)
        // hyper's read buffer bounds the request head; bodies are streamed past it.
        .max_buf_size(limits.max_total.max(8 * 1024))
        .serve_connection(
            TokioIo::new(Tracked::new(stream, activity.clone())),
            service,
        );
    // Dropping the connection future closes the socket.
    let idle = config.idle_timeout;
    let watchdog = async {
        let mut tick = tokio::time::interval(idle.max(WATCH_MIN) / 4);
        loop {
            tick.tick().await;
            if activity.idle_for(idle) {
                return;
            }
        }
    };
    tokio::select! {
        served = connection => {
            if let Err(e) = served {
                tracing::debug!(%remote, error = %e, "legacy HTTP connection ended");
            }
        }
        () = watchdog => tracing::debug!(%remote, "legacy HTTP connection idle: closed"),
    }
}
