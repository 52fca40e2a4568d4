//! Axonite as an echo client: a [`Validator`] querying the `miner` role's [`BenchEcho`].

use std::net::SocketAddr;
use std::time::Duration;

use axonite::identity::Hotkey;
use axonite::{Keypair, Peer};
use axonite_actors::Validator;

use super::{EchoError, Target};
use crate::echo::BenchEcho;
use crate::roles::miner::NETUID;

/// Per-request timeout: generous, so a loaded machine shows as latency, not failures.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A validator with an authenticated connection to one miner.
pub struct AxoniteClient {
    validator: Validator,
    peer: Peer,
}

impl AxoniteClient {
    /// Starts a validator with a fresh key and connects it to `target`.
    pub async fn connect(target: &Target) -> Result<Self, EchoError> {
        Self::connect_with_lanes(target, true).await
    }

    /// Like [`connect`](Self::connect), choosing whether small requests go on a lane
    /// (`ValidatorConfig::lanes`) or take a stream each.
    pub async fn connect_with_lanes(target: &Target, lanes: bool) -> Result<Self, EchoError> {
        let hotkey =
            Hotkey::from_ss58(&target.key).map_err(|e| EchoError::Connect(e.to_string()))?;
        let peer = Peer::new(hotkey, target.addr);
        let validator = Validator::builder(Keypair::generate())
            .netuid(NETUID)
            .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .configure(|c| c.lanes = lanes)
            .start()
            .await
            .map_err(|e| EchoError::Connect(e.to_string()))?;
        validator
            .connect(&peer)
            .await
            .map_err(|e| EchoError::Connect(e.to_string()))?;
        Ok(Self { validator, peer })
    }

    /// Echoes `request`; returns the length received.
    pub async fn echo(&self, request: &BenchEcho) -> Result<usize, EchoError> {
        let r = self
            .validator
            .query_with_timeout(&self.peer, request, TIMEOUT)
            .await;
        let status = r.status().0;
        match r.outcome {
            Ok(reply) => Ok(reply.payload.len()),
            Err(e) => Err(EchoError::Failed {
                status,
                message: e.to_string(),
            }),
        }
    }

    /// Shuts the validator down.
    pub async fn close(self) {
        self.validator.shutdown().await;
    }
}
