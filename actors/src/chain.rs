//! The runtime's link to a subtensor chain: a reconnecting [`ChainSource`] that the metagraph
//! monitor reads from, and [`ChainWeights`], which submits a validator's weights.
//!
//! ```no_run
//! # use axonite::Keypair;
//! use std::sync::Arc;
//! use axonite::chain::ChainOptions;
//! use axonite_actors::Validator;
//! use axonite_actors::chain::{ChainSource, ChainWeights};
//! use axonite_actors::metagraph::MonitorConfig;
//! use axonite_actors::weights::WeightsConfig;
//!
//! # async fn run(hotkey: Keypair) -> Result<(), Box<dyn std::error::Error>> {
//! let chain = Arc::new(ChainSource::new("wss://entrypoint-finney.opentensor.ai:443", ChainOptions::default()));
//! let validator = Validator::builder(hotkey.clone())
//!     .netuid(1)
//!     .metagraph(chain.clone(), MonitorConfig::new(1))
//!     .weights(ChainWeights::new(chain, hotkey), WeightsConfig::new(1))
//!     .start()
//!     .await?;
//! # Ok(()) }
//! ```

use std::sync::Arc;

use axonite::Keypair;
use axonite::chain::{ChainClient, ChainError, ChainOptions, TxOutcome};
use axonite::metagraph::Metagraph;
use axonite::service::BoxFuture;
use tokio::sync::Mutex;

use crate::metagraph::MetagraphSource;
use crate::progress::waiting_for;
use crate::weights::WeightsSubmitter;

/// A chain endpoint that connects on first use and reconnects after transient failures.
pub struct ChainSource {
    url: String,
    options: ChainOptions,
    client: Mutex<Option<Arc<ChainClient>>>,
}

impl std::fmt::Debug for ChainSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainSource")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl ChainSource {
    /// A source for the node at `url` (connects on first use).
    pub fn new(url: impl Into<String>, options: ChainOptions) -> Self {
        Self {
            url: url.into(),
            options,
            client: Mutex::new(None),
        }
    }

    /// The connected client, connecting first if needed.
    pub async fn client(&self) -> Result<Arc<ChainClient>, ChainError> {
        let mut slot = self.client.lock().await;
        if let Some(client) = slot.as_ref() {
            return Ok(client.clone());
        }
        // The URL may carry credentials: the progress lines do not name it.
        let connect = ChainClient::connect_with(&self.url, self.options.clone());
        let client = Arc::new(waiting_for("connecting to the chain", connect).await?);
        *slot = Some(client.clone());
        Ok(client)
    }

    /// Runs `op` on the client; a transient failure drops the connection so the next call
    /// reconnects.
    async fn with_client<T>(
        &self,
        op: impl AsyncFnOnce(Arc<ChainClient>) -> Result<T, ChainError>,
    ) -> Result<T, String> {
        let client = self.client().await.map_err(|e| e.to_string())?;
        match op(client).await {
            Ok(value) => Ok(value),
            Err(e) => {
                if e.is_transient() {
                    *self.client.lock().await = None;
                }
                Err(e.to_string())
            }
        }
    }
}

impl MetagraphSource for ChainSource {
    fn fetch(&self, netuid: u16) -> BoxFuture<'_, Result<Metagraph, String>> {
        Box::pin(self.with_client(async move |c| c.metagraph(netuid).await))
    }

    fn head(&self) -> BoxFuture<'_, Result<Option<u64>, String>> {
        Box::pin(self.with_client(async move |c| c.block_number().await.map(Some)))
    }
}

/// Submits weights to a [`ChainSource`], signed by the validator's hotkey.
pub struct ChainWeights {
    chain: Arc<ChainSource>,
    hotkey: Keypair,
}

impl std::fmt::Debug for ChainWeights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainWeights")
            .field("chain", &self.chain)
            .field("hotkey", &self.hotkey.hotkey())
            .finish()
    }
}

impl ChainWeights {
    /// Weights for `hotkey` (the validator's) through `chain`.
    pub fn new(chain: Arc<ChainSource>, hotkey: Keypair) -> Self {
        Self { chain, hotkey }
    }
}

/// The block an extrinsic landed in, or its dispatch error.
fn landed(outcome: TxOutcome) -> Result<u64, ChainError> {
    outcome.into_result().map(|o| o.block_number)
}

impl WeightsSubmitter for ChainWeights {
    fn set_weights(
        &self,
        netuid: u16,
        uids: Vec<u16>,
        weights: Vec<u16>,
        version_key: u64,
    ) -> BoxFuture<'_, Result<u64, String>> {
        let hotkey = &self.hotkey;
        Box::pin(self.chain.with_client(async move |c| {
            landed(
                c.set_weights(hotkey, netuid, &uids, &weights, version_key)
                    .await?,
            )
        }))
    }

    fn commit_weights(&self, netuid: u16, hash: [u8; 32]) -> BoxFuture<'_, Result<u64, String>> {
        let hotkey = &self.hotkey;
        Box::pin(
            self.chain
                .with_client(async move |c| landed(c.commit_weights(hotkey, netuid, hash).await?)),
        )
    }

    fn reveal_weights(
        &self,
        netuid: u16,
        uids: Vec<u16>,
        weights: Vec<u16>,
        salt: Vec<u16>,
        version_key: u64,
    ) -> BoxFuture<'_, Result<u64, String>> {
        let hotkey = &self.hotkey;
        Box::pin(self.chain.with_client(async move |c| {
            landed(
                c.reveal_weights(hotkey, netuid, &uids, &weights, &salt, version_key)
                    .await?,
            )
        }))
    }
}
