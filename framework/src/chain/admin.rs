//! Root (sudo) and development-chain helpers of [`ChainClient`]: for local chains, tests and
//! setups, not for production validators or miners.

use std::time::Duration;

use sp_core::Encode as _;
use subxt::dynamic::Value;
use subxt::rpcs::rpc_params;

use super::ChainError;
use super::calls;
use super::client::ChainClient;
use super::schema::SUBTENSOR;
use super::submit::TxOutcome;
use crate::identity::{Hotkey, Keypair};

impl ChainClient {
    // --- root (sudo) helpers, for local chains and tests ---

    /// `Sudo::sudo(AdminUtils::sudo_set_weights_set_rate_limit)`, signed by the sudo key
    /// (//Alice on a local chain). The outcome's `result` is the inner call's.
    pub async fn sudo_set_weights_set_rate_limit(
        &self,
        sudo: &Keypair,
        netuid: u16,
        limit: u64,
    ) -> Result<TxOutcome, ChainError> {
        self.sudo_netuid_setter(
            sudo,
            "sudo_set_weights_set_rate_limit",
            netuid,
            ("weights_set_rate_limit", Value::u128(limit.into())),
        )
        .await
    }

    /// `Sudo::sudo(AdminUtils::sudo_set_serving_rate_limit)`, signed by the sudo key.
    pub async fn sudo_set_serving_rate_limit(
        &self,
        sudo: &Keypair,
        netuid: u16,
        limit: u64,
    ) -> Result<TxOutcome, ChainError> {
        self.sudo_netuid_setter(
            sudo,
            "sudo_set_serving_rate_limit",
            netuid,
            ("serving_rate_limit", Value::u128(limit.into())),
        )
        .await
    }

    /// `Sudo::sudo(AdminUtils::sudo_set_commit_reveal_weights_enabled)`, signed by the sudo
    /// key.
    pub async fn sudo_set_commit_reveal_weights_enabled(
        &self,
        sudo: &Keypair,
        netuid: u16,
        enabled: bool,
    ) -> Result<TxOutcome, ChainError> {
        self.sudo_netuid_setter(
            sudo,
            "sudo_set_commit_reveal_weights_enabled",
            netuid,
            ("enabled", Value::bool(enabled)),
        )
        .await
    }

    /// `Sudo::sudo(AdminUtils::sudo_set_tempo)`, signed by the sudo key.
    pub async fn sudo_set_tempo(
        &self,
        sudo: &Keypair,
        netuid: u16,
        tempo: u16,
    ) -> Result<TxOutcome, ChainError> {
        self.sudo_netuid_setter(
            sudo,
            "sudo_set_tempo",
            netuid,
            ("tempo", Value::u128(tempo.into())),
        )
        .await
    }

    /// `Sudo::sudo(AdminUtils::<call>(netuid, <name> = value))`: the shape of most subnet
    /// hyperparameter setters.
    async fn sudo_netuid_setter(
        &self,
        sudo: &Keypair,
        call: &str,
        netuid: u16,
        (name, value): (&str, Value),
    ) -> Result<TxOutcome, ChainError> {
        let call = calls::admin_utils(
            call,
            vec![("netuid", Value::u128(netuid.into())), (name, value)],
        );
        self.submit(&calls::sudo(call), sudo).await
    }

    /// `Sudo::sudo(AdminUtils::<call_name>(args...))` with positional arguments, signed by
    /// the sudo key: any other hyperparameter setter. Arguments are matched to the call's
    /// parameters in order and encoded by their metadata types, so
    /// `sudo_admin_utils(&alice, "sudo_set_min_allowed_weights", vec![Value::u128(1),
    /// Value::u128(0)])` sets netuid 1's minimum to 0.
    pub async fn sudo_admin_utils(
        &self,
        sudo: &Keypair,
        call_name: &str,
        args: Vec<Value>,
    ) -> Result<TxOutcome, ChainError> {
        let call = calls::admin_utils_positional(call_name, args);
        self.submit(&calls::sudo(call), sudo).await
    }

    /// [`sudo_admin_utils`](Self::sudo_admin_utils) for the many setters whose arguments are
    /// all unsigned integers (the netuid, then the value), for callers that do not depend on
    /// subxt: `sudo_admin_utils_uints(&alice, "sudo_set_max_allowed_validators", &[1, 8])`.
    /// Each number is encoded as the call's parameter type says; one too large for it fails
    /// to encode.
    pub async fn sudo_admin_utils_uints(
        &self,
        sudo: &Keypair,
        call_name: &str,
        args: &[u128],
    ) -> Result<TxOutcome, ChainError> {
        let args = args.iter().map(|&n| Value::u128(n)).collect();
        self.sudo_admin_utils(sudo, call_name, args).await
    }

    // --- development chains ---

    /// Asks a Chopsticks node to build `count` empty blocks at once (`dev_newBlock`), to move
    /// time forward in tests (epochs, reveal windows, rate limits). Real nodes do not offer
    /// this method and answer with an RPC error.
    pub async fn dev_new_blocks(&self, count: u32) -> Result<(), ChainError> {
        #[derive(serde::Serialize)]
        struct NewBlockParams {
            count: u32,
        }
        let request = self
            .rpc
            .request::<serde_json::Value>("dev_newBlock", rpc_params![NewBlockParams { count }]);
        // Building a block takes Chopsticks a few hundred milliseconds.
        let deadline = self.options.read_timeout + Duration::from_secs(1) * count;
        tokio::time::timeout(deadline, request)
            .await
            .map_err(|_| ChainError::Timeout {
                what: "new blocks",
                seconds: deadline.as_secs(),
            })?
            .map(|_| ())
            .map_err(|e| self.rpc_error(e))
    }

    /// Writes `hotkey`'s stake on subnet `netuid` directly into a Chopsticks node's state
    /// (`dev_setStorage` on `TotalHotkeyAlpha`, or `TotalHotkeyStake` on older runtimes), so
    /// tests can give validators stake without going through the subnet's liquidity pool.
    /// Only the hotkey's total is written (not the per-coldkey shares), which is what the
    /// metagraph and validator permits read. Real nodes refuse the method.
    pub async fn dev_set_stake(
        &self,
        netuid: u16,
        hotkey: &Hotkey,
        rao: u64,
    ) -> Result<(), ChainError> {
        let key = self
            .at_finalized()
            .await?
            .stake_key(netuid, hotkey)?
            .ok_or_else(|| ChainError::not_found("stake storage in this runtime"))?;
        self.dev_set_storage(&[(key, rao.to_le_bytes().to_vec())])
            .await
    }

    /// Writes raw storage into a Chopsticks node's state (`dev_setStorage`): each entry is a
    /// full storage key and the SCALE encoding of its new value. The write changes the
    /// current head at once (no block is built) and is seen by the next reads and
    /// extrinsics; the runtime may overwrite it in the next block it builds. Real nodes
    /// refuse the method.
    pub async fn dev_set_storage(&self, entries: &[(Vec<u8>, Vec<u8>)]) -> Result<(), ChainError> {
        let entries: Vec<(String, String)> = entries
            .iter()
            .map(|(key, value)| {
                (
                    format!("0x{}", hex::encode(key)),
                    format!("0x{}", hex::encode(value)),
                )
            })
            .collect();
        let request = self
            .rpc
            .request::<serde_json::Value>("dev_setStorage", rpc_params![entries]);
        self.timed("a storage write", request)
            .await?
            .map(|_| ())
            .map_err(|e| self.rpc_error(e))
    }

    /// Writes subnet `netuid`'s `ValidatorPermit` vector (one flag per uid, in uid order)
    /// into a Chopsticks node's state, so tests can take a registered neuron's permit away
    /// (or grant one) without the stake and epochs that decide it on a live network.
    ///
    /// The next epoch recomputes the permits and overwrites this. On the spec 218 local
    /// chain the epoch of netuid 1 runs in *every* block, whatever the tempo, so the write
    /// holds only until the next block is built (the next extrinsic or `dev_newBlock`):
    /// write it after the test's last extrinsic. Real nodes refuse the method.
    pub async fn dev_set_validator_permits(
        &self,
        netuid: u16,
        permits: &[bool],
    ) -> Result<(), ChainError> {
        let at = self
            .timed("the finalized block", self.api.at_current_block())
            .await?
            .map_err(|e| self.rpc_error(e))?;
        let key = at
            .storage()
            .entry(subxt::dynamic::storage::<(u16,), Vec<bool>>(
                SUBTENSOR,
                "ValidatorPermit",
            ))
            .and_then(|e| e.fetch_key((netuid,)))
            .map_err(|_| ChainError::not_found(format!("storage {SUBTENSOR}::ValidatorPermit")))?;
        self.dev_set_storage(&[(key, permits.encode())]).await
    }
}
