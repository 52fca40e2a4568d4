//! The connection to a subtensor node: reads at a block, signed writes, dev helpers.

use std::fmt;
use std::sync::Arc;

use sp_core::{Blake2Hasher, Encode as _, Hasher as _};
use subxt::config::substrate::{H256, SubstrateHeader};
use subxt::config::{Header as _, RpcConfigFor};
use subxt::rpcs::client::RpcSubscription;
use subxt::rpcs::{LegacyRpcMethods, RpcClient};
use subxt::{OnlineClient, SubstrateConfig};

use super::at_block::ChainAtBlock;
use super::calls::{self, Call};
use super::schema::SUBTENSOR;
use super::submit::{SubmitVia, TxOutcome, submit};
use super::url::{check_url, redact};
use super::{ChainError, ChainOptions};
use crate::identity::{Hotkey, Keypair};
use crate::metagraph::{AxonInfo, Hyperparameters, Metagraph};

/// A block the chain finalized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlockRef {
    /// Its number.
    pub number: u64,
    /// Its hash.
    pub hash: [u8; 32],
}

/// A client of a subtensor node over its WebSocket JSON-RPC, using subxt's dynamic API.
///
/// Nothing about the runtime is compiled in: the metadata is fetched from the node (once per
/// runtime version) and every storage item and call is looked up by name, so a runtime
/// upgrade does not break the build and items that differ between versions are handled at
/// run time.
///
/// Reads go through a [`ChainAtBlock`], so that one metagraph is read at one block;
/// [`ChainClient::metagraph`] reads at the latest finalized block. Writes are signed by an
/// Axonite [`Keypair`] and wait for inclusion or finalization
/// ([`ChainOptions::finality`]); they report a [`TxOutcome`], whose `result` carries the
/// decoded dispatch error (`SubtensorModule::SettingWeightsTooFast`) when the call failed.
///
/// The client is cheap to clone (shared connection). It does not reconnect by itself: when
/// the node goes away, calls fail with a transient [`ChainError`], and the owner connects
/// again.
///
/// ```no_run
/// # async fn demo() -> Result<(), axonite::chain::ChainError> {
/// use axonite::chain::ChainClient;
///
/// let chain = ChainClient::connect("ws://127.0.0.1:9944").await?;
/// let graph = chain.metagraph(1).await?;
/// for peer in graph.axonite_peers() {
///     println!("{peer}");
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ChainClient {
    pub(super) api: OnlineClient<SubstrateConfig>,
    pub(super) rpc: RpcClient,
    submit_via: SubmitVia,
    url: Arc<str>,
    pub(super) options: ChainOptions,
}

impl fmt::Debug for ChainClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may carry credentials: not printed.
        f.debug_struct("ChainClient")
            .field("genesis_hash", &hex::encode(self.genesis_hash()))
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

// === impl ChainClient ===

impl ChainClient {
    /// Connects with default [`ChainOptions`].
    ///
    /// `url` is `wss://...`, or `ws://...` to a loopback host (`127.0.0.1`, `localhost`,
    /// `[::1]`), which is what a local node or Chopsticks listens on. Plain `ws://` to other
    /// hosts needs [`ChainOptions::allow_insecure`] and [`ChainClient::connect_with`].
    pub async fn connect(url: &str) -> Result<Self, ChainError> {
        Self::connect_with(url, ChainOptions::default()).await
    }

    /// Connects with `options`: checks the URL, opens the WebSocket, reads the genesis hash
    /// and the runtime metadata at the latest finalized block, and checks that the runtime
    /// has the subtensor pallet.
    pub async fn connect_with(url: &str, options: ChainOptions) -> Result<Self, ChainError> {
        check_url(url, options.allow_insecure)?;
        let deadline = options.connect_timeout;
        let connect = async {
            let rpc = RpcClient::from_insecure_url(url)
                .await
                .map_err(|e| ChainError::Connect {
                    reason: redact(e, url),
                })?;
            let api =
                OnlineClient::from_rpc_client_with_config(SubstrateConfig::new(), rpc.clone())
                    .await
                    .map_err(|e| ChainError::Connect {
                        reason: redact(e, url),
                    })?;
            let submit_via = SubmitVia::detect(&rpc).await;
            Ok::<_, ChainError>((rpc, api, submit_via))
        };
        let (rpc, api, submit_via) =
            tokio::time::timeout(deadline, connect)
                .await
                .map_err(|_| ChainError::Timeout {
                    what: "the connection",
                    seconds: deadline.as_secs(),
                })??;
        let client = Self {
            api,
            rpc,
            submit_via,
            url: Arc::from(url),
            options,
        };
        let at = tokio::time::timeout(deadline, client.at_finalized())
            .await
            .map_err(|_| ChainError::Timeout {
                what: "the runtime metadata",
                seconds: deadline.as_secs(),
            })??;
        if at.metadata().pallet_by_name(SUBTENSOR).is_none() {
            return Err(ChainError::not_found(format!(
                "pallet {SUBTENSOR} (is this a subtensor node?)"
            )));
        }
        Ok(client)
    }

    /// The options this client was built with.
    pub fn options(&self) -> &ChainOptions {
        &self.options
    }

    /// The chain's genesis hash (identifies the network: finney, testnet, a local chain).
    pub fn genesis_hash(&self) -> [u8; 32] {
        self.api.genesis_hash().0
    }

    /// The underlying subxt client, for anything this API does not cover.
    pub fn subxt(&self) -> &OnlineClient<SubstrateConfig> {
        &self.api
    }

    // --- reads ---

    /// A view of the chain at the latest finalized block.
    pub async fn at_finalized(&self) -> Result<ChainAtBlock, ChainError> {
        let at = self
            .timed("the finalized block", self.api.at_current_block())
            .await?
            .map_err(|e| self.rpc_error(e))?;
        Ok(self.view(at))
    }

    /// A view of the chain at the block with `hash`.
    pub async fn at_block(&self, hash: [u8; 32]) -> Result<ChainAtBlock, ChainError> {
        let at = self
            .timed("a block", self.api.at_block(H256(hash)))
            .await?
            .map_err(|e| self.rpc_error(e))?;
        Ok(self.view(at))
    }

    /// The number of the latest finalized block.
    pub async fn block_number(&self) -> Result<u64, ChainError> {
        Ok(self.at_finalized().await?.block_number())
    }

    /// The runtime's `spec_version` at the latest finalized block.
    pub async fn spec_version(&self) -> Result<u32, ChainError> {
        Ok(self.at_finalized().await?.spec_version())
    }

    /// The metagraph of subnet `netuid` at the latest finalized block (see
    /// [`ChainAtBlock::metagraph`]).
    pub async fn metagraph(&self, netuid: u16) -> Result<Metagraph, ChainError> {
        self.at_finalized().await?.metagraph(netuid).await
    }

    /// The hyperparameters of subnet `netuid` at the latest finalized block.
    pub async fn hyperparameters(&self, netuid: u16) -> Result<Hyperparameters, ChainError> {
        self.at_finalized().await?.hyperparameters(netuid).await
    }

    /// Follows finalized blocks, from the next one on.
    ///
    /// Uses the node's `chain_subscribeFinalizedHeads`, which reports the newest finalized
    /// head and may skip blocks finalized together; read what you need at the block reported.
    pub async fn finalized_blocks(&self) -> Result<FinalizedBlocks, ChainError> {
        let methods = LegacyRpcMethods::<RpcConfigFor<SubstrateConfig>>::new(self.rpc.clone());
        let heads = self
            .timed("a subscription", methods.chain_subscribe_finalized_heads())
            .await?
            .map_err(|e| self.rpc_error(e))?;
        Ok(FinalizedBlocks {
            heads,
            url: self.url.clone(),
        })
    }

    // --- writes ---

    /// `serve_axon`: advertises `axon` (address, port, version, protocol, placeholders) for
    /// `hotkey` on subnet `netuid`. Use [`AxonInfo::axonite`] to carry the Axonite marker.
    /// The axon's `block` is ignored; the chain records the block itself.
    ///
    /// The pallet rejects `127.0.0.1` and `::1` (`InvalidIpAddress`; use `127.0.0.2` and up
    /// locally), port 0, and a second call within `ServingRateLimit` blocks
    /// (`ServingRateLimitExceeded`).
    pub async fn serve_axon(
        &self,
        hotkey: &Keypair,
        netuid: u16,
        axon: &AxonInfo,
    ) -> Result<TxOutcome, ChainError> {
        self.submit(&calls::serve_axon(netuid, axon), hotkey).await
    }

    /// `set_weights`: sets `hotkey`'s weights on subnet `netuid` to `weights[i]` for
    /// `uids[i]` (the pallet max-upscales them). Refused client-side when the lengths differ.
    /// Fails with `CommitRevealEnabled` when the subnet requires commit-reveal.
    pub async fn set_weights(
        &self,
        hotkey: &Keypair,
        netuid: u16,
        uids: &[u16],
        weights: &[u16],
        version_key: u64,
    ) -> Result<TxOutcome, ChainError> {
        same_len("uids", uids, "weights", weights)?;
        self.submit(
            &calls::set_weights(netuid, uids, weights, version_key),
            hotkey,
        )
        .await
    }

    /// `commit_weights`: commits `hash` (see [`commit_hash`](super::commit_hash)) for
    /// `hotkey` on subnet `netuid`, to be revealed in the reveal epoch.
    pub async fn commit_weights(
        &self,
        hotkey: &Keypair,
        netuid: u16,
        hash: [u8; 32],
    ) -> Result<TxOutcome, ChainError> {
        self.submit(&calls::commit_weights(netuid, hash), hotkey)
            .await
    }

    /// `reveal_weights`: reveals weights committed earlier by `hotkey`; the arguments must
    /// hash (with `hotkey` and `netuid`) to the committed hash.
    pub async fn reveal_weights(
        &self,
        hotkey: &Keypair,
        netuid: u16,
        uids: &[u16],
        values: &[u16],
        salt: &[u16],
        version_key: u64,
    ) -> Result<TxOutcome, ChainError> {
        same_len("uids", uids, "values", values)?;
        self.submit(
            &calls::reveal_weights(netuid, uids, values, salt, version_key),
            hotkey,
        )
        .await
    }

    /// `burned_register`: registers `hotkey` on subnet `netuid`, paying the subnet's burn
    /// from `coldkey`, which signs and becomes the hotkey's owner.
    pub async fn burned_register(
        &self,
        coldkey: &Keypair,
        netuid: u16,
        hotkey: &Hotkey,
    ) -> Result<TxOutcome, ChainError> {
        self.submit(&calls::burned_register(netuid, hotkey), coldkey)
            .await
    }

    /// `add_stake`: stakes `amount_rao` of `coldkey`'s free balance on `hotkey` on subnet
    /// `netuid` (on dTAO runtimes the TAO buys alpha at the subnet's price). For tests and
    /// local setups: a validator needs stake for a validator permit.
    pub async fn add_stake(
        &self,
        coldkey: &Keypair,
        netuid: u16,
        hotkey: &Hotkey,
        amount_rao: u64,
    ) -> Result<TxOutcome, ChainError> {
        self.submit(&calls::add_stake(netuid, hotkey, amount_rao), coldkey)
            .await
    }

    // --- internals ---

    fn view(&self, at: subxt::client::OnlineClientAtBlock<SubstrateConfig>) -> ChainAtBlock {
        ChainAtBlock::new(
            at,
            self.url.clone(),
            self.options.read_concurrency,
            self.options.read_timeout,
        )
    }

    pub(super) async fn submit(
        &self,
        call: &Call,
        keypair: &Keypair,
    ) -> Result<TxOutcome, ChainError> {
        submit(
            &self.api,
            &self.rpc,
            self.submit_via,
            &self.url,
            &self.options,
            call,
            keypair,
        )
        .await
    }

    /// Runs one request under the read timeout (its own error is left to the caller).
    pub(super) async fn timed<T>(
        &self,
        what: &'static str,
        request: impl Future<Output = T>,
    ) -> Result<T, ChainError> {
        let deadline = self.options.read_timeout;
        tokio::time::timeout(deadline, request)
            .await
            .map_err(|_| ChainError::Timeout {
                what,
                seconds: deadline.as_secs(),
            })
    }

    pub(super) fn rpc_error(&self, error: impl fmt::Display) -> ChainError {
        ChainError::rpc(redact(error, &self.url))
    }
}

fn same_len(a: &str, xs: &[u16], b: &str, ys: &[u16]) -> Result<(), ChainError> {
    if xs.len() == ys.len() {
        Ok(())
    } else {
        Err(ChainError::InvalidArgument {
            reason: format!("{a} has {} items but {b} has {}", xs.len(), ys.len()),
        })
    }
}

/// Finalized blocks as the node reports them (see [`ChainClient::finalized_blocks`]).
pub struct FinalizedBlocks {
    heads: RpcSubscription<SubstrateHeader<H256>>,
    url: Arc<str>,
}

impl FinalizedBlocks {
    /// The next finalized block; `None` when the subscription ended (the node went away).
    pub async fn next(&mut self) -> Option<Result<BlockRef, ChainError>> {
        let header = self.heads.next().await?;
        Some(
            header
                .map(|h| BlockRef {
                    number: h.number(),
                    hash: Blake2Hasher::hash(&h.encode()).0,
                })
                .map_err(|e| ChainError::rpc(redact(e, &self.url))),
        )
    }
}

impl fmt::Debug for FinalizedBlocks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FinalizedBlocks").finish_non_exhaustive()
    }
}
