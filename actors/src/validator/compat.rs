//! Querying miners whatever they run: Axonite miners over QUIC, miners still on the
//! bittensor Python axon over legacy HTTP (see `legacy.rs`), with the same results.

use std::time::Duration;

use axonite::StatusCode;
use axonite::legacy::LegacySynapse;
use axonite::peer::{Peer, PeerProtocol};
use futures_util::future::join_all;
use tokio::time::Instant;

use super::{QueryError, QueryResult, Validator};

impl Validator {
    /// The miners in the latest metagraph snapshot that serve a plain bittensor axon (a
    /// Python axon, no Axonite marker), as legacy peers for
    /// [`query_many_compat`](Self::query_many_compat) (empty without a snapshot).
    pub fn legacy_miners(&self) -> Vec<Peer> {
        self.snapshot_peers(|g| g.legacy_peers())
    }

    /// Queries one miner whatever it runs: an Axonite miner over QUIC, a miner running the
    /// SDK's Python axon ([`Peer::legacy`]) over legacy HTTP, signed as a bittensor 10
    /// dendrite signs. Results look the same either way, so scoring code does not care.
    pub async fn query_compat<S: LegacySynapse>(
        &self,
        peer: &Peer,
        request: &S,
        timeout: Duration,
    ) -> QueryResult<S::Response> {
        match peer.protocol {
            PeerProtocol::Quic => self.query_with_timeout(peer, request, timeout).await,
            PeerProtocol::LegacyHttp => self.query_legacy(peer, request, timeout).await,
        }
    }

    /// [`query_compat`](Self::query_compat) for every miner in `peers`, concurrently;
    /// results come back in the order of `peers`.
    pub async fn query_many_compat<S: LegacySynapse>(
        &self,
        peers: &[Peer],
        request: &S,
        timeout: Duration,
    ) -> Vec<QueryResult<S::Response>> {
        join_all(
            peers
                .iter()
                .map(|peer| self.query_compat(peer, request, timeout)),
        )
        .await
    }

    async fn query_legacy<S: LegacySynapse>(
        &self,
        peer: &Peer,
        request: &S,
        timeout: Duration,
    ) -> QueryResult<S::Response> {
        let started = Instant::now();
        let max_body = self.shared.config.limits.max_response_body;
        let exchange =
            self.shared
                .legacy
                .query(&self.shared.keypair, peer, request, timeout, max_body);
        let (process_time, outcome) = tokio::time::timeout(timeout, exchange)
            .await
            .unwrap_or((None, Err(QueryError::Timeout)));
        let latency = started.elapsed();
        let status = outcome
            .as_ref()
            .map_or_else(QueryError::status, |_| StatusCode::OK);
        self.shared.queries.record(S::NAME, status, latency);
        QueryResult {
            peer: *peer,
            latency,
            process_time,
            outcome,
        }
    }
}
