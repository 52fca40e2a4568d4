//! The connection pool actor: one client connection actor per miner, connect on demand,
//! reconnect with backoff. Queries read open connections from a concurrent map and only ask
//! this actor when a miner has none.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axonite::identity::Hotkey;
use axonite::peer::Peer;
use axonite::protocol::CloseCode;
use axonite::transport::SERVER_NAME;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};

use super::QueryError;
use super::lane::MinerLink;
use super::shared::ValidatorShared;
use axonite::metagraph::Metagraph;

use crate::handshake::client_handshake;
use crate::metagraph::MetagraphHandle;
use crate::task::OwnedTask;
use crate::time::deadline_after;

/// Reply to a connect request.
pub(crate) type ConnectReply = RpcReplyPort<Result<MinerLink, QueryError>>;

/// Messages of the pool.
pub(crate) enum PoolMsg {
    /// Give me an authenticated connection to this miner.
    Connect(Peer, ConnectReply),
    /// A connect task finished.
    Connected(Peer, Result<quinn::Connection, QueryError>),
    /// A new metagraph snapshot: follow it.
    Reconcile(Arc<Metagraph>),
}

/// The pool actor.
pub(crate) struct ConnectionPool;

/// The pool's state: connects in progress and recent failures per miner.
pub(crate) struct PoolState {
    shared: Arc<ValidatorShared>,
    pending: HashMap<Hotkey, Vec<ConnectReply>>,
    failures: HashMap<Hotkey, (u32, Instant)>,
    /// Forwards metagraph snapshots into the mailbox, when the validator follows a chain.
    _follower: Option<OwnedTask>,
}

impl Actor for ConnectionPool {
    type Msg = PoolMsg;
    type State = PoolState;
    type Arguments = Arc<ValidatorShared>;

    async fn pre_start(
        &self,
        myself: ActorRef<PoolMsg>,
        shared: Arc<ValidatorShared>,
    ) -> Result<PoolState, ActorProcessingErr> {
        // A restarted pool starts clean: connections of the previous incarnation lost their
        // watchers with it.
        for entry in shared.connections.iter() {
            entry
                .value()
                .close(CloseCode::Normal.code().into(), b"pool restarted");
        }
        shared.connections.clear();
        shared.set_pool(Some(myself.clone()));
        let follower = shared
            .metagraph
            .as_ref()
            .map(|handle| follow(handle, myself));
        Ok(PoolState {
            shared,
            pending: HashMap::new(),
            failures: HashMap::new(),
            _follower: follower,
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<PoolMsg>,
        msg: PoolMsg,
        state: &mut PoolState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            PoolMsg::Connect(peer, reply) => state.connect(&myself, peer, Some(reply)),
            PoolMsg::Reconcile(graph) => state.reconcile(&myself, &graph),
            PoolMsg::Connected(peer, result) => {
                let waiting = state.pending.remove(&peer.hotkey).unwrap_or_default();
                match result {
                    Ok(conn) => {
                        state.failures.remove(&peer.hotkey);
                        let link = MinerLink::new(conn.clone());
                        let old = state.shared.connections.insert(peer.hotkey, link.clone());
                        if let Some(old) = old {
                            // The miner moved (new address): retire the old session.
                            old.close(CloseCode::Normal.code().into(), b"replaced");
                        }
                        // Waiters get the connection before its watcher actor starts: the
                        // actor only reacts to the close, which cannot be missed (a closed
                        // connection's `closed()` resolves at once).
                        for reply in waiting {
                            let _ = reply.send(Ok(link.clone()));
                        }
                        let args = (peer.hotkey, link, state.shared.clone());
                        if let Err(e) =
                            Actor::spawn_linked(None, ClientConnection, args, myself.get_cell())
                                .await
                        {
                            tracing::error!(%peer, error = %e, "cannot watch a connection; closing it");
                            let id = conn.stable_id();
                            state
                                .shared
                                .connections
                                .remove_if(&peer.hotkey, |_, c| c.stable_id() == id);
                            conn.close(CloseCode::Normal.code().into(), b"internal error");
                        }
                    }
                    Err(e) => {
                        let (count, _) = state
                            .failures
                            .get(&peer.hotkey)
                            .copied()
                            .unwrap_or((0, Instant::now()));
                        let delay = state.shared.config.reconnect_backoff.delay(count);
                        state.failures.insert(
                            peer.hotkey,
                            (
                                count.saturating_add(1),
                                deadline_after(tokio::time::Instant::now(), delay).into_std(),
                            ),
                        );
                        tracing::debug!(%peer, error = %e, retry_in = ?delay, "connect failed");
                        for reply in waiting {
                            let _ = reply.send(Err(e.clone()));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    async fn post_stop(
        &self,
        _: ActorRef<PoolMsg>,
        state: &mut PoolState,
    ) -> Result<(), ActorProcessingErr> {
        state.shared.set_pool(None);
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        _: ActorRef<PoolMsg>,
        event: SupervisionEvent,
        _: &mut PoolState,
    ) -> Result<(), ActorProcessingErr> {
        // Connection actors are not restarted (the next query reconnects), but never silent.
        if let SupervisionEvent::ActorFailed(cell, error) = event {
            tracing::error!(actor = %cell.get_id(), %error, "client connection actor failed");
        }
        Ok(())
    }
}

// === impl PoolState ===

impl PoolState {
    /// Answers `reply` (if any) with a connection to `peer`: an open one, a refusal while
    /// backing off, or the result of a connect started now (or already under way).
    fn connect(&mut self, myself: &ActorRef<PoolMsg>, peer: Peer, reply: Option<ConnectReply>) {
        if let Some(conn) = self.shared.live_connection(&peer) {
            if let Some(reply) = reply {
                let _ = reply.send(Ok(conn));
            }
            return;
        }
        if let Some((failures, retry_at)) = self.failures.get(&peer.hotkey)
            && Instant::now() < *retry_at
        {
            if let Some(reply) = reply {
                let _ = reply.send(Err(QueryError::Unreachable(format!(
                    "backing off after {failures} failed connects"
                ))));
            }
            return;
        }
        if let Some(waiting) = self.pending.get_mut(&peer.hotkey) {
            waiting.extend(reply);
            return;
        }
        self.pending
            .insert(peer.hotkey, reply.into_iter().collect());
        let shared = self.shared.clone();
        let myself = myself.clone();
        tokio::spawn(async move {
            let result = connect(&shared, peer).await;
            let _ = myself.send_message(PoolMsg::Connected(peer, result));
        });
    }

    /// Follows a snapshot: drops connections to miners that left the subnet, moved, or stopped
    /// advertising Axonite, and dials Axonite miners it has no connection to.
    fn reconcile(&mut self, myself: &ActorRef<PoolMsg>, graph: &Metagraph) {
        let peers: HashMap<Hotkey, Peer> = graph
            .axonite_peers()
            .into_iter()
            .map(|p| (p.hotkey, p))
            .collect();
        let stale: Vec<(Hotkey, MinerLink)> = self
            .shared
            .connections
            .iter()
            .filter(|e| {
                peers
                    .get(e.key())
                    .is_none_or(|p| p.addr != e.value().remote_address())
            })
            .map(|e| (*e.key(), e.value().clone()))
            .collect();
        for (hotkey, conn) in stale {
            tracing::info!(miner = %hotkey, "miner left the subnet or moved; dropping its connection");
            let id = conn.stable_id();
            self.shared
                .connections
                .remove_if(&hotkey, |_, c| c.stable_id() == id);
            conn.close(CloseCode::Normal.code().into(), b"miner left or moved");
        }
        // A miner that moved deserves a fresh try at its new address.
        self.failures.retain(|hotkey, _| peers.contains_key(hotkey));
        if self.shared.config.connect_to_metagraph {
            for peer in peers.into_values() {
                self.connect(myself, peer, None);
            }
        }
    }
}

/// Forwards every new snapshot of `handle` (and the current one) to the pool.
fn follow(handle: &MetagraphHandle, pool: ActorRef<PoolMsg>) -> OwnedTask {
    let mut rx = handle.watch();
    OwnedTask::detached(tokio::spawn(async move {
        loop {
            let graph = rx.borrow_and_update().clone();
            if let Some(graph) = graph
                && pool.send_message(PoolMsg::Reconcile(graph)).is_err()
            {
                return;
            }
            if rx.changed().await.is_err() {
                return;
            }
        }
    }))
}

async fn connect(shared: &ValidatorShared, peer: Peer) -> Result<quinn::Connection, QueryError> {
    let cfg = &shared.config;
    let attempt = async {
        let connecting = shared
            .endpoint
            .connect_with(shared.client_config.clone(), peer.addr, SERVER_NAME)
            .map_err(|e| QueryError::Unreachable(e.to_string()))?;
        let connection = connecting
            .await
            .map_err(|e| QueryError::Unreachable(e.to_string()))?;
        client_handshake(
            &connection,
            &shared.keypair,
            peer.hotkey,
            cfg.netuid,
            &cfg.limits,
        )
        .await
        .map_err(|e| {
            connection.close(
                CloseCode::HandshakeRejected.code().into(),
                b"handshake failed",
            );
            QueryError::Handshake(e)
        })?;
        Ok(connection)
    };
    tokio::time::timeout(cfg.connect_timeout, attempt)
        .await
        .map_err(|_| QueryError::Unreachable("connect timed out".into()))?
}

/// One actor per open connection to a miner: removes it from the map when it closes and
/// closes it when the pool stops.
pub(crate) struct ClientConnection;

/// The connection closed, with its reason.
pub(crate) struct Closed(String);

impl Actor for ClientConnection {
    type Msg = Closed;
    type State = (Hotkey, MinerLink, Arc<ValidatorShared>);
    type Arguments = (Hotkey, MinerLink, Arc<ValidatorShared>);

    async fn pre_start(
        &self,
        myself: ActorRef<Closed>,
        args: Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        let link = args.1.clone();
        tokio::spawn(async move {
            let reason = link.watch_close().await;
            let _ = myself.send_message(Closed(reason.to_string()));
        });
        Ok(args)
    }

    async fn handle(
        &self,
        myself: ActorRef<Closed>,
        Closed(reason): Closed,
        (hotkey, _, _): &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        tracing::debug!(miner = %hotkey, %reason, "connection to miner closed");
        myself.stop(None);
        Ok(())
    }

    async fn post_stop(
        &self,
        _: ActorRef<Closed>,
        (hotkey, link, shared): &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        let conn = &link.conn;
        let id = conn.stable_id();
        shared
            .connections
            .remove_if(hotkey, |_, c| c.stable_id() == id);
        // Closing an already closed connection would replace the miner's reason (which
        // queries report) with "closed".
        if conn.close_reason().is_none() {
            conn.close(CloseCode::Normal.code().into(), b"validator closing");
        }
        Ok(())
    }
}
