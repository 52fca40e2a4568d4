//! State shared by a validator's query calls and its pool actor.

use axonite::identity::{Hotkey, Keypair};
use axonite::peer::Peer;
use dashmap::DashMap;
use ractor::ActorRef;
use tokio::sync::watch;

use super::ValidatorConfig;
use super::lane::MinerLink;
use super::pool::PoolMsg;
use super::stats::QueryStats;
use crate::metagraph::MetagraphHandle;

pub(crate) struct ValidatorShared {
    pub(crate) keypair: Keypair,
    pub(crate) config: ValidatorConfig,
    pub(crate) endpoint: quinn::Endpoint,
    pub(crate) client_config: quinn::ClientConfig,
    /// Authenticated connections (with their lanes) by miner hotkey. Values are cloned out at
    /// once; no guard is held across an await.
    pub(crate) connections: DashMap<Hotkey, MinerLink>,
    /// The metagraph the pool follows, when the validator follows a chain.
    pub(crate) metagraph: Option<MetagraphHandle>,
    /// Query outcomes and latencies by synapse.
    pub(crate) queries: QueryStats,
    /// The client for miners that run the SDK's Python axon.
    pub(crate) legacy: super::legacy::LegacyClient,
    /// The live pool actor: it registers itself on every (re)start, and queries wait for it.
    pool: watch::Sender<Option<ActorRef<PoolMsg>>>,
}

impl ValidatorShared {
    pub(crate) fn new(
        keypair: Keypair,
        config: ValidatorConfig,
        endpoint: quinn::Endpoint,
        client_config: quinn::ClientConfig,
        metagraph: Option<MetagraphHandle>,
    ) -> Self {
        Self {
            keypair,
            config,
            endpoint,
            client_config,
            metagraph,
            connections: DashMap::new(),
            queries: QueryStats::default(),
            legacy: super::legacy::LegacyClient::new(),
            pool: watch::Sender::new(None),
        }
    }

    pub(crate) fn set_pool(&self, pool: Option<ActorRef<PoolMsg>>) {
        self.pool.send_replace(pool);
    }

    /// The live pool, waiting for it while it (re)starts; `None` at the deadline.
    pub(crate) async fn pool(&self, deadline: tokio::time::Instant) -> Option<ActorRef<PoolMsg>> {
        let mut rx = self.pool.subscribe();
        // A starting pool already queues messages; only a dying or dead one (not yet replaced
        // by its restart) is skipped. The status is read once per value: waiting for a status
        // change here would miss it, since status changes do not notify the channel.
        let live = |p: &Option<ActorRef<PoolMsg>>| {
            p.as_ref().is_some_and(|p| {
                !matches!(
                    p.get_status(),
                    ractor::ActorStatus::Stopping | ractor::ActorStatus::Stopped
                )
            })
        };
        let wait = rx.wait_for(live);
        match tokio::time::timeout_at(deadline, wait).await {
            Ok(Ok(pool)) => pool.clone(),
            _ => None,
        }
    }

    /// An open connection to `peer` at its current address, if any.
    pub(crate) fn live_connection(&self, peer: &Peer) -> Option<MinerLink> {
        let link = self.connections.get(&peer.hotkey)?.value().clone();
        (link.remote_address() == peer.addr && link.is_open()).then_some(link)
    }
}
