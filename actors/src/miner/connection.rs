//! One actor per QUIC connection on the miner: handshake under a deadline, then one task per
//! request stream. The actor owns the connection's lifecycle; a crash of its driver is
//! reported to the listener, never silent.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axonite::protocol::CloseCode;
use futures_util::FutureExt;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use tokio::time::Instant;

use super::caller::{CallerView, admit};
use super::ip_slots::IpSlot;
use super::lane::LaneContext;
use super::request::serve_stream;
use super::shared::{ActiveSlot, MinerShared};
use super::strikes::RateStrikes;
use crate::handshake::{HandshakeFailure, serve_handshake};
use crate::task::{OwnedTask, TaskEnded};
use crate::text::truncate;
use crate::time::deadline_after;

/// The connection actor (server side).
pub(crate) struct ServerConnection;

/// Start arguments: the connection in its TLS handshake and its pending-handshake slot.
pub(crate) struct ServerConnectionArgs {
    pub(crate) connecting: quinn::Connecting,
    pub(crate) remote: std::net::SocketAddr,
    pub(crate) shared: Arc<MinerShared>,
    pub(crate) slot: IpSlot,
}

impl Actor for ServerConnection {
    type Msg = TaskEnded;
    type State = OwnedTask;
    type Arguments = ServerConnectionArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<TaskEnded>,
        args: ServerConnectionArgs,
    ) -> Result<OwnedTask, ActorProcessingErr> {
        Ok(OwnedTask::spawn("connection driver", myself, drive(args)))
    }

    async fn handle(
        &self,
        myself: ActorRef<TaskEnded>,
        TaskEnded(ended): TaskEnded,
        _: &mut OwnedTask,
    ) -> Result<(), ActorProcessingErr> {
        ended?;
        myself.stop(None);
        Ok(())
    }
}

async fn drive(args: ServerConnectionArgs) {
    let ServerConnectionArgs {
        connecting,
        remote,
        shared,
        slot,
    } = args;
    let deadline = deadline_after(Instant::now(), shared.config.handshake_timeout);
    let stats = &shared.stats;

    let connection = match tokio::time::timeout_at(deadline, connecting).await {
        Ok(Ok(connection)) => connection,
        Ok(Err(e)) => {
            // Wrong ALPN, TLS garbage, ...
            tracing::debug!(%remote, error = %e, "TLS handshake failed");
            stats.handshakes_failed.fetch_add(1, Ordering::Relaxed);
            stats.handshakes_tls_failed.fetch_add(1, Ordering::Relaxed);
            return;
        }
        Err(_) => {
            stats.handshakes_timed_out.fetch_add(1, Ordering::Relaxed);
            return;
        }
    };

    // The generation is read before the lookup: a change in between is looked up again.
    let generation = directory_generation(&shared);
    let mut info = None;
    let admit = |hotkey: &axonite::Hotkey| {
        info = admit(&shared.config, hotkey)?;
        Ok(())
    };
    let handshake = serve_handshake(&connection, &shared.verifier, &shared.config.limits, admit);
    let validator = match tokio::time::timeout_at(deadline, handshake).await {
        Ok(Ok(validator)) => validator,
        Ok(Err(failure)) => {
            tracing::info!(%remote, reason = %failure, "handshake refused");
            stats.handshakes_failed.fetch_add(1, Ordering::Relaxed);
            let kind = match &failure {
                HandshakeFailure::Refused(_) => &stats.handshakes_refused,
                HandshakeFailure::Protocol(_) => &stats.handshakes_malformed,
                HandshakeFailure::ClosedByPeer(_) | HandshakeFailure::Connection(_) => {
                    &stats.handshakes_dropped
                }
            };
            kind.fetch_add(1, Ordering::Relaxed);
            close(&connection, failure.close_code(), &failure);
            return;
        }
        Err(_) => {
            tracing::info!(%remote, "handshake timed out");
            stats.handshakes_timed_out.fetch_add(1, Ordering::Relaxed);
            connection.close(
                CloseCode::HandshakeTimeout.code().into(),
                b"handshake timeout",
            );
            return;
        }
    };
    drop(slot);

    if shared.active.fetch_add(1, Ordering::AcqRel) >= shared.config.max_connections {
        shared.active.fetch_sub(1, Ordering::AcqRel);
        connection.close(CloseCode::Busy.code().into(), b"too many connections");
        return;
    }
    let _active = ActiveSlot(shared.clone());
    stats.handshakes_ok.fetch_add(1, Ordering::Relaxed);
    tracing::debug!(%remote, %validator, "validator authenticated");
    shared.config.transport.authenticated(&connection);

    let mut caller = CallerView::new(validator, remote, info, generation);
    let strikes = Arc::new(RateStrikes::new(connection.clone()));
    // Lanes live as long as their validator keeps them open: they end when this actor does
    // (the sender drops with this task), so they never keep a dead actor's connection open.
    let (_alive, actor_alive) = tokio::sync::watch::channel(());
    let lane_places = LaneContext::places(&shared);
    loop {
        match connection.accept_bi().await {
            Ok((send, recv)) => match caller.current(&shared.config) {
                Ok(current) => {
                    // A plain task, not a JoinSet: reaping a set woke this loop once more per
                    // request. A request task ends by itself: its stream fails once the
                    // connection is gone, and its wait for the handler ends at the deadline
                    // (a lane ends with its stream). Boxed, so spawning moves a pointer, not
                    // the whole request future.
                    let lane = LaneContext {
                        view: caller.clone(),
                        actor_alive: actor_alive.clone(),
                        in_flight: lane_places.clone(),
                    };
                    let request =
                        serve_stream(shared.clone(), current, lane, strikes.clone(), send, recv);
                    tokio::spawn(contain_panic(Box::pin(request), remote));
                }
                Err(reason) => {
                    tracing::info!(%remote, %validator, %reason, "admission revoked");
                    stats.revoked.fetch_add(1, Ordering::Relaxed);
                    let reason = format!("admission revoked: {reason}");
                    connection.close(
                        CloseCode::Revoked.code().into(),
                        truncate(&reason, 200).as_bytes(),
                    );
                    break;
                }
            },
            Err(e) => {
                tracing::debug!(%remote, reason = %e, "connection closed");
                break;
            }
        }
    }
}

/// Runs a request task; a panic in it (a bug, never peer input) is logged, never silent.
async fn contain_panic(request: impl Future<Output = ()>, remote: std::net::SocketAddr) {
    if AssertUnwindSafe(request).catch_unwind().await.is_err() {
        tracing::error!(%remote, "request task panicked");
    }
}

fn directory_generation(shared: &MinerShared) -> u64 {
    shared
        .config
        .directory
        .as_ref()
        .map_or(0, |d| d.generation())
}

fn close(connection: &quinn::Connection, code: CloseCode, failure: &HandshakeFailure) {
    let reason = failure.to_string();
    connection.close(code.code().into(), truncate(&reason, 200).as_bytes());
}
