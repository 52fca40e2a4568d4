//! Reading subnet state at one block.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use subxt::client::OnlineClientAtBlock;
use subxt::dynamic::Value;
use subxt::error::StorageError;
use subxt::ext::frame_decode::helpers::{IntoDecodableValues, IntoEncodableValues};
use subxt::ext::futures::{StreamExt as _, TryStreamExt as _, stream};
use subxt::ext::scale_decode::DecodeAsType;
use subxt::{ArcMetadata, SubstrateConfig};

use super::ChainError;
use super::decode::axon_from_value;
use super::schema::{self, REQUIRED_STORAGE, SUBTENSOR, StakeSource};
use super::url::redact;
use crate::identity::Hotkey;
use crate::metagraph::{Hyperparameters, Metagraph, Neuron, rao_to_units, u16_to_unit};

type Account = [u8; 32];

/// A read-only view of the chain at one block: every read through it sees the same state.
///
/// Get one from [`ChainClient::at_finalized`](super::ChainClient::at_finalized) or
/// [`ChainClient::at_block`](super::ChainClient::at_block). Storage items are looked up by
/// name in the runtime's own metadata; items a runtime lacks read as `None` where they are
/// optional, and as [`ChainError::NotFound`] where they are not.
#[derive(Debug, Clone)]
pub struct ChainAtBlock {
    at: OnlineClientAtBlock<SubstrateConfig>,
    url: Arc<str>,
    read_concurrency: usize,
    read_timeout: Duration,
}

/// The per-uid vectors of one subnet.
#[derive(Debug, Default)]
struct PerUid {
    permit: Vec<bool>,
    active: Vec<bool>,
    last_update: Vec<u64>,
    incentive: Option<Vec<u16>>,
    dividends: Option<Vec<u16>>,
    consensus: Option<Vec<u16>>,
    trust: Option<Vec<u16>>,
    validator_trust: Option<Vec<u16>>,
    rank: Option<Vec<u16>>,
    emission: Option<Vec<u64>>,
}

fn score(values: &Option<Vec<u16>>, uid: u16) -> Option<f64> {
    values
        .as_ref()
        .and_then(|v| v.get(usize::from(uid)))
        .map(|&x| u16_to_unit(x))
}

fn path(entry: &str) -> String {
    format!("storage {SUBTENSOR}::{entry}")
}

// === impl ChainAtBlock ===

impl ChainAtBlock {
    pub(crate) fn new(
        at: OnlineClientAtBlock<SubstrateConfig>,
        url: Arc<str>,
        read_concurrency: usize,
        read_timeout: Duration,
    ) -> Self {
        Self {
            at,
            url,
            read_concurrency: read_concurrency.max(1),
            read_timeout,
        }
    }

    /// The block number.
    pub fn block_number(&self) -> u64 {
        self.at.block_number()
    }

    /// The block hash.
    pub fn block_hash(&self) -> [u8; 32] {
        self.at.block_hash().0
    }

    /// The runtime's `spec_version` at this block.
    pub fn spec_version(&self) -> u32 {
        self.at.spec_version()
    }

    /// The runtime metadata at this block (fetched from the node, cached per spec version).
    pub fn metadata(&self) -> ArcMetadata {
        self.at.metadata()
    }

    /// Whether this runtime has the storage item `SubtensorModule::<entry>`.
    pub fn has_storage(&self, entry: &str) -> bool {
        schema::has_storage(self.at.metadata_ref(), SUBTENSOR, entry)
    }

    /// Whether subnet `netuid` exists.
    pub async fn subnet_exists(&self, netuid: u16) -> Result<bool, ChainError> {
        self.timed("a subnet check", async {
            self.required::<(u16,), bool>("NetworksAdded", (netuid,))
                .await
        })
        .await
    }

    /// The uid of `hotkey` on subnet `netuid`, or `None` if it is not registered there.
    pub async fn uid_of(&self, netuid: u16, hotkey: &Hotkey) -> Result<Option<u16>, ChainError> {
        self.timed("a uid", async {
            self.require("Uids")?;
            self.fetch::<(u16, Account), u16>("Uids", (netuid, *hotkey.as_bytes()))
                .await
        })
        .await
    }

    /// The weights uid `uid` last set on subnet `netuid`, as stored: `(target uid, weight)`
    /// pairs, weights max-upscaled so that the largest is `u16::MAX`.
    pub async fn weights(&self, netuid: u16, uid: u16) -> Result<Vec<(u16, u16)>, ChainError> {
        self.timed("weights", async {
            self.required::<(u16, u16), Vec<(u16, u16)>>("Weights", (netuid, uid))
                .await
        })
        .await
    }

    /// Hashes of the weight commits `hotkey` has made on subnet `netuid` and not yet revealed
    /// (or that have not yet expired), oldest first. Empty when the runtime has no
    /// `WeightCommits`.
    pub async fn weight_commit_hashes(
        &self,
        netuid: u16,
        hotkey: &Hotkey,
    ) -> Result<Vec<[u8; 32]>, ChainError> {
        self.timed("weight commits", async {
            let commits = self
                .optional::<(u16, Account), Value>("WeightCommits", (netuid, *hotkey.as_bytes()))
                .await?;
            let Some(commits) = commits else {
                return Ok(Vec::new());
            };
            // Vec<(H256, ...)>: the first element of each tuple is the hash; the others changed
            // meaning between runtime versions and are not needed here.
            let subxt::ext::scale_value::ValueDef::Composite(items) = &commits.value else {
                return Err(ChainError::decode(path("WeightCommits"), "not a sequence"));
            };
            items
                .values()
                .map(|item| {
                    let hash = match &item.value {
                        subxt::ext::scale_value::ValueDef::Composite(tuple) => {
                            tuple.values().next()
                        }
                        _ => None,
                    };
                    hash.and_then(bytes32)
                        .ok_or_else(|| ChainError::decode(path("WeightCommits"), "no 32-byte hash"))
                })
                .collect()
        })
        .await
    }

    /// The stake of `hotkey` on subnet `netuid`, in rao (see [`Neuron::stake_rao`]).
    pub async fn stake_rao(&self, netuid: u16, hotkey: &Hotkey) -> Result<u64, ChainError> {
        self.timed("a stake", async {
            self.stake_of(
                StakeSource::for_metadata(self.at.metadata_ref()),
                netuid,
                *hotkey.as_bytes(),
            )
            .await
        })
        .await
    }

    /// The hyperparameters of subnet `netuid`.
    pub async fn hyperparameters(&self, netuid: u16) -> Result<Hyperparameters, ChainError> {
        self.timed("hyperparameters", self.read_hyperparameters(netuid))
            .await
    }

    /// The metagraph of subnet `netuid`: every registered neuron with its keys, stake,
    /// permit, activity, scores and axon, and the subnet's hyperparameters, all at this
    /// block.
    ///
    /// Stake comes from `TotalHotkeyAlpha(hotkey, netuid)` on dTAO runtimes, from
    /// `TotalHotkeyStake(hotkey)` on older ones, and reads as 0 where neither exists.
    /// An axon with an unusable address (unknown `ip_type`) is left out (`axon: None`).
    pub async fn metagraph(&self, netuid: u16) -> Result<Metagraph, ChainError> {
        self.timed("a metagraph", self.read_metagraph(netuid)).await
    }

    /// The storage key of `hotkey`'s stake on subnet `netuid` (for development chains that
    /// let tests write storage), or `None` when the runtime has no known stake storage.
    pub(crate) fn stake_key(
        &self,
        netuid: u16,
        hotkey: &Hotkey,
    ) -> Result<Option<Vec<u8>>, ChainError> {
        let storage = self.at.storage();
        let hotkey = *hotkey.as_bytes();
        let key = match StakeSource::for_metadata(self.at.metadata_ref()) {
            StakeSource::TotalHotkeyAlpha => storage
                .entry(subxt::dynamic::storage::<(Account, u16), u64>(
                    SUBTENSOR,
                    "TotalHotkeyAlpha",
                ))
                .and_then(|e| e.fetch_key((hotkey, netuid))),
            StakeSource::TotalHotkeyStake => storage
                .entry(subxt::dynamic::storage::<(Account,), u64>(
                    SUBTENSOR,
                    "TotalHotkeyStake",
                ))
                .and_then(|e| e.fetch_key((hotkey,))),
            StakeSource::Unavailable => return Ok(None),
        };
        key.map(Some).map_err(|e| self.storage_error("stake", e))
    }

    // --- the reads behind the public methods ---

    async fn read_metagraph(&self, netuid: u16) -> Result<Metagraph, ChainError> {
        for entry in REQUIRED_STORAGE {
            self.require(entry)?;
        }
        if !self.subnet_exists(netuid).await? {
            return Err(ChainError::not_found(format!("subnet {netuid}")));
        }
        let (n, keys, axons, per_uid, hyperparameters) = tokio::try_join!(
            self.required::<(u16,), u16>("SubnetworkN", (netuid,)),
            self.iter_subnet::<u16, Account>("Keys", netuid),
            self.iter_subnet::<Account, Value>("Axons", netuid),
            self.per_uid(netuid),
            self.read_hyperparameters(netuid),
        )?;

        let mut registered: Vec<(u16, Account)> =
            keys.into_iter().filter(|(uid, _)| *uid < n).collect();
        registered.sort_by_key(|(uid, _)| *uid);
        let hotkeys: Vec<Account> = registered.iter().map(|(_, hotkey)| *hotkey).collect();
        let source = StakeSource::for_metadata(self.at.metadata_ref());
        if source == StakeSource::Unavailable {
            tracing::warn!("this runtime has no known stake storage; stakes read as 0");
        }
        let (coldkeys, stakes) = tokio::try_join!(
            self.for_each(&hotkeys, |hotkey| self
                .required::<(Account,), Account>("Owner", (hotkey,))),
            self.for_each(&hotkeys, |hotkey| self.stake_of(source, netuid, hotkey)),
        )?;
        let mut axons: HashMap<Account, Value> = axons.into_iter().collect();

        let mut neurons = Vec::with_capacity(registered.len());
        for (((uid, hotkey), coldkey), stake) in registered.into_iter().zip(coldkeys).zip(stakes) {
            let index = usize::from(uid);
            let axon = match axons.remove(&hotkey) {
                Some(value) => axon_from_value(&value)?,
                None => None,
            };
            let mut neuron =
                Neuron::new(uid, Hotkey::from_bytes(hotkey), Hotkey::from_bytes(coldkey))
                    .with_stake_rao(stake);
            neuron.validator_permit = per_uid.permit.get(index).copied().unwrap_or(false);
            neuron.active = per_uid.active.get(index).copied().unwrap_or(false);
            neuron.last_update = per_uid.last_update.get(index).copied().unwrap_or(0);
            neuron.axon = axon;
            neuron.incentive = score(&per_uid.incentive, uid);
            neuron.dividends = score(&per_uid.dividends, uid);
            neuron.consensus = score(&per_uid.consensus, uid);
            neuron.trust = score(&per_uid.trust, uid);
            neuron.validator_trust = score(&per_uid.validator_trust, uid);
            neuron.rank = score(&per_uid.rank, uid);
            neuron.emission = per_uid
                .emission
                .as_ref()
                .and_then(|e| e.get(index))
                .map(|&rao| rao_to_units(rao));
            neurons.push(neuron);
        }
        Ok(Metagraph::new(
            netuid,
            self.block_number(),
            self.block_hash(),
            neurons,
            hyperparameters,
        ))
    }

    async fn read_hyperparameters(&self, netuid: u16) -> Result<Hyperparameters, ChainError> {
        let key = (netuid,);
        let (tempo, weights_rate_limit, serving_rate_limit, commit_reveal) = tokio::try_join!(
            self.required::<(u16,), u16>("Tempo", key),
            self.required::<(u16,), u64>("WeightsSetRateLimit", key),
            self.required::<(u16,), u64>("ServingRateLimit", key),
            self.required::<(u16,), bool>("CommitRevealWeightsEnabled", key),
        )?;
        let (
            reveal_period_epochs,
            commit_reveal_version,
            weights_version_key,
            min_allowed_weights,
            max_weights_limit,
            stake_threshold,
            weights_min_stake,
        ) = tokio::try_join!(
            self.optional::<(u16,), u64>("RevealPeriodEpochs", key),
            self.optional::<(), u16>("CommitRevealWeightsVersion", ()),
            self.optional::<(u16,), u64>("WeightsVersionKey", key),
            self.optional::<(u16,), u16>("MinAllowedWeights", key),
            self.optional::<(u16,), u16>("MaxWeightsLimit", key),
            self.optional::<(), u64>("StakeThreshold", ()),
            self.optional::<(), u64>("WeightsMinStake", ()),
        )?;
        let (max_uids, max_validators, immunity_period, activity_cutoff) = tokio::try_join!(
            self.optional::<(u16,), u16>("MaxAllowedUids", key),
            self.optional::<(u16,), u16>("MaxAllowedValidators", key),
            self.optional::<(u16,), u16>("ImmunityPeriod", key),
            self.optional::<(u16,), u16>("ActivityCutoff", key),
        )?;
        Ok(Hyperparameters {
            tempo,
            weights_set_rate_limit: weights_rate_limit,
            serving_rate_limit,
            commit_reveal_weights_enabled: commit_reveal,
            reveal_period_epochs,
            commit_reveal_version,
            weights_version_key,
            min_allowed_weights,
            max_weights_limit,
            weights_min_stake_rao: stake_threshold.or(weights_min_stake),
            max_allowed_uids: max_uids,
            max_allowed_validators: max_validators,
            immunity_period,
            activity_cutoff,
        })
    }

    // --- storage helpers ---

    /// Runs one public read under the read timeout.
    async fn timed<T>(
        &self,
        what: &'static str,
        read: impl Future<Output = Result<T, ChainError>>,
    ) -> Result<T, ChainError> {
        tokio::time::timeout(self.read_timeout, read)
            .await
            .map_err(|_| ChainError::Timeout {
                what,
                seconds: self.read_timeout.as_secs(),
            })?
    }

    async fn per_uid(&self, netuid: u16) -> Result<PerUid, ChainError> {
        let key = (netuid,);
        let (permit, active, last_update, emission) = tokio::try_join!(
            self.required::<(u16,), Vec<bool>>("ValidatorPermit", key),
            self.required::<(u16,), Vec<bool>>("Active", key),
            self.required::<(u16,), Vec<u64>>("LastUpdate", key),
            self.optional::<(u16,), Vec<u64>>("Emission", key),
        )?;
        let (incentive, dividends, consensus, trust, validator_trust, rank) = tokio::try_join!(
            self.optional::<(u16,), Vec<u16>>("Incentive", key),
            self.optional::<(u16,), Vec<u16>>("Dividends", key),
            self.optional::<(u16,), Vec<u16>>("Consensus", key),
            self.optional::<(u16,), Vec<u16>>("Trust", key),
            self.optional::<(u16,), Vec<u16>>("ValidatorTrust", key),
            self.optional::<(u16,), Vec<u16>>("Rank", key),
        )?;
        Ok(PerUid {
            permit,
            active,
            last_update,
            incentive,
            dividends,
            consensus,
            trust,
            validator_trust,
            rank,
            emission,
        })
    }

    async fn stake_of(
        &self,
        source: StakeSource,
        netuid: u16,
        hotkey: Account,
    ) -> Result<u64, ChainError> {
        match source {
            StakeSource::TotalHotkeyAlpha => {
                self.required::<(Account, u16), u64>("TotalHotkeyAlpha", (hotkey, netuid))
                    .await
            }
            StakeSource::TotalHotkeyStake => {
                self.required::<(Account,), u64>("TotalHotkeyStake", (hotkey,))
                    .await
            }
            StakeSource::Unavailable => Ok(0),
        }
    }

    /// Runs `read` for every hotkey, at most `read_concurrency` at a time, keeping order.
    async fn for_each<'a, T, F, Fut>(
        &'a self,
        hotkeys: &[Account],
        read: F,
    ) -> Result<Vec<T>, ChainError>
    where
        F: Fn(Account) -> Fut,
        Fut: Future<Output = Result<T, ChainError>> + 'a,
    {
        stream::iter(hotkeys.iter().copied())
            .map(read)
            .buffered(self.read_concurrency)
            .try_collect()
            .await
    }

    fn require(&self, entry: &str) -> Result<(), ChainError> {
        if self.has_storage(entry) {
            Ok(())
        } else {
            Err(ChainError::not_found(path(entry)))
        }
    }

    /// An item every supported runtime has (its default when unset).
    async fn required<K, V>(&self, entry: &str, keys: K) -> Result<V, ChainError>
    where
        K: IntoEncodableValues + IntoDecodableValues,
        V: DecodeAsType,
    {
        self.require(entry)?;
        self.fetch(entry, keys)
            .await?
            .ok_or_else(|| ChainError::not_found(format!("value of {}", path(entry))))
    }

    /// An item some runtimes lack: `None` there (and when it has no value nor default).
    async fn optional<K, V>(&self, entry: &str, keys: K) -> Result<Option<V>, ChainError>
    where
        K: IntoEncodableValues + IntoDecodableValues,
        V: DecodeAsType,
    {
        if !self.has_storage(entry) {
            return Ok(None);
        }
        self.fetch(entry, keys).await
    }

    async fn fetch<K, V>(&self, entry: &str, keys: K) -> Result<Option<V>, ChainError>
    where
        K: IntoEncodableValues + IntoDecodableValues,
        V: DecodeAsType,
    {
        let address = subxt::dynamic::storage::<K, V>(SUBTENSOR, entry);
        let value = self
            .at
            .storage()
            .try_fetch(address, keys)
            .await
            .map_err(|e| self.storage_error(entry, e))?;
        value
            .map(|v| v.decode())
            .transpose()
            .map_err(|e| ChainError::decode(path(entry), e))
    }

    /// All `(second key, value)` pairs of a `(netuid, _)` double map for one subnet.
    async fn iter_subnet<K2, V>(&self, entry: &str, netuid: u16) -> Result<Vec<(K2, V)>, ChainError>
    where
        K2: DecodeAsType + subxt::ext::scale_encode::EncodeAsType,
        V: DecodeAsType,
    {
        let address = subxt::dynamic::storage::<(u16, K2), V>(SUBTENSOR, entry);
        let mut entries = self
            .at
            .storage()
            .iter(address, (netuid,))
            .await
            .map_err(|e| self.storage_error(entry, e))?;
        let mut out = Vec::new();
        while let Some(item) = entries.next().await {
            let item = item.map_err(|e| self.storage_error(entry, e))?;
            let key = item.key().map_err(|e| ChainError::decode(path(entry), e))?;
            let second = key
                .part(1)
                .ok_or_else(|| ChainError::decode(path(entry), "key has no second part"))?
                .decode_as::<K2>()
                .map_err(|e| ChainError::decode(path(entry), e))?
                .ok_or_else(|| {
                    ChainError::decode(path(entry), "second key is hashed, not stored")
                })?;
            let value = item
                .value()
                .decode()
                .map_err(|e| ChainError::decode(path(entry), e))?;
            out.push((second, value));
        }
        Ok(out)
    }

    fn storage_error(&self, entry: &str, error: StorageError) -> ChainError {
        match error {
            StorageError::CannotFetchValue(e)
            | StorageError::CannotIterateValues(e)
            | StorageError::StreamFailure(e) => ChainError::rpc(redact(e, &self.url)),
            StorageError::PalletNameNotFound(_) | StorageError::StorageEntryNotFound { .. } => {
                ChainError::not_found(path(entry))
            }
            other => ChainError::decode(path(entry), other),
        }
    }
}

/// 32 bytes out of a hash or account value, however wrapped.
fn bytes32(value: &Value) -> Option<[u8; 32]> {
    let mut value = value;
    // Unwrap newtypes (`H256([u8; 32])`).
    while let subxt::ext::scale_value::ValueDef::Composite(c) = &value.value {
        if c.len() == 1 {
            value = c.values().next()?;
        } else {
            break;
        }
    }
    let subxt::ext::scale_value::ValueDef::Composite(c) = &value.value else {
        return None;
    };
    let bytes: Vec<u8> = c
        .values()
        .map(|v| v.as_u128().and_then(|n| u8::try_from(n).ok()))
        .collect::<Option<_>>()?;
    bytes.try_into().ok()
}
