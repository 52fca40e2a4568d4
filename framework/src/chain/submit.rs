//! Signing, submitting and following one extrinsic to its block.

use std::time::{Duration, Instant};

use subxt::client::OnlineClientAtBlockImpl;
use subxt::config::substrate::H256;
use subxt::config::{DefaultExtrinsicParamsBuilder, RpcConfigFor};
use subxt::error::{BackendError, ExtrinsicError, RpcError};
use subxt::events::Phase;
use subxt::ext::scale_value::{Composite, Value};
use subxt::rpcs::methods::legacy::TransactionStatus as AuthorStatus;
use subxt::rpcs::{LegacyRpcMethods, RpcClient, rpc_params};
use subxt::tx::{SubmittableTransaction, TransactionStatus};
use subxt::{OnlineClient, SubstrateConfig};

use super::calls::Call;
use super::decode::{dispatch_failure, result_error};
use super::url::redact;
use super::{ChainError, ChainOptions, ChainSigner, DispatchFailure, Finality, rejection};
use crate::identity::Keypair;

/// What became of a submitted extrinsic that reached a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxOutcome {
    /// Hash of the block that includes the extrinsic.
    pub block_hash: [u8; 32],
    /// Number of that block.
    pub block_number: u64,
    /// Hash of the extrinsic.
    pub extrinsic_hash: [u8; 32],
    /// `Ok` if the call dispatched successfully; the decoded `DispatchError` otherwise. For a
    /// sudo call this is the result of the inner call.
    pub result: Result<(), DispatchFailure>,
    /// Time from signing to the block reported (inclusion or finalization).
    pub elapsed: Duration,
}

impl TxOutcome {
    /// Whether the call dispatched successfully.
    pub fn is_success(&self) -> bool {
        self.result.is_ok()
    }

    /// `Ok(self)` if the call succeeded, its [`ChainError::Dispatch`] otherwise; for `?`.
    pub fn into_result(self) -> Result<Self, ChainError> {
        match &self.result {
            Ok(()) => Ok(self),
            Err(failure) => Err(failure.clone().into()),
        }
    }
}

/// How transactions reach the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubmitVia {
    /// `author_submitAndWatchExtrinsic`: offered by every subtensor node and by Chopsticks,
    /// and its rejections carry the node's reason (`Custom error: 6`).
    Author,
    /// subxt's default (the new `transactionWatch_v1` methods, then the old ones).
    Subxt,
}

impl SubmitVia {
    /// Picks [`SubmitVia::Author`] when the node lists `author_submitAndWatchExtrinsic`.
    ///
    /// subxt's default tries `transactionWatch_v1` first and falls back; when the old method
    /// rejects a transaction, the error it reports is that of the last method it tried (on
    /// Chopsticks: "Method not found"), which hides the real reason.
    pub(crate) async fn detect(rpc: &RpcClient) -> Self {
        #[derive(serde::Deserialize)]
        struct Methods {
            methods: Vec<String>,
        }
        match rpc.request::<Methods>("rpc_methods", rpc_params![]).await {
            Ok(m)
                if m.methods
                    .iter()
                    .any(|m| m == "author_submitAndWatchExtrinsic") =>
            {
                Self::Author
            }
            _ => Self::Subxt,
        }
    }
}

/// Signs `call` with `keypair`, submits it, waits for `options.finality` within
/// `options.tx_timeout`, and decodes its outcome from the block's events.
pub(crate) async fn submit(
    api: &OnlineClient<SubstrateConfig>,
    rpc: &RpcClient,
    via: SubmitVia,
    url: &str,
    options: &ChainOptions,
    call: &Call,
    keypair: &Keypair,
) -> Result<TxOutcome, ChainError> {
    let started = Instant::now();
    let work = async {
        let signed = sign(api, rpc, url, call, keypair).await?;
        let extrinsic_hash = signed.hash();
        let block_hash = match via {
            SubmitVia::Author => {
                follow_author(rpc, url, options.finality, signed.encoded()).await?
            }
            SubmitVia::Subxt => follow_subxt(&signed, url, options.finality, call).await?,
        };
        let elapsed = started.elapsed();
        outcome(api, url, block_hash, extrinsic_hash, elapsed).await
    };
    tokio::time::timeout(options.tx_timeout, work)
        .await
        .map_err(|_| ChainError::Timeout {
            what: match options.finality {
                Finality::InBlock => "inclusion",
                Finality::Finalized => "finalization",
            },
            seconds: options.tx_timeout.as_secs(),
        })?
}

type Signed = SubmittableTransaction<SubstrateConfig, OnlineClientAtBlockImpl<SubstrateConfig>>;

/// Builds and signs the extrinsic against the latest finalized block, with the nonce the
/// node's pool expects.
async fn sign(
    api: &OnlineClient<SubstrateConfig>,
    rpc: &RpcClient,
    url: &str,
    call: &Call,
    keypair: &Keypair,
) -> Result<Signed, ChainError> {
    let at = api
        .at_current_block()
        .await
        .map_err(|e| ChainError::rpc(redact(e, url)))?;
    let mut params = DefaultExtrinsicParamsBuilder::<SubstrateConfig>::new();
    if let Some(nonce) = pool_nonce(rpc, keypair).await {
        params = params.nonce(nonce);
    }
    at.transactions()
        .create_signed(call, &ChainSigner::new(keypair), params.build())
        .await
        .map_err(|e| extrinsic_error(e, url, call))
}

/// Submits with `author_submitAndWatchExtrinsic` and returns the hash of the block that
/// includes (or finalizes) the extrinsic.
async fn follow_author(
    rpc: &RpcClient,
    url: &str,
    finality: Finality,
    extrinsic: &[u8],
) -> Result<H256, ChainError> {
    let mut statuses = LegacyRpcMethods::<RpcConfigFor<SubstrateConfig>>::new(rpc.clone())
        .author_submit_and_watch_extrinsic(extrinsic)
        .await
        .map_err(|e| rpc_rejection(e, url))?;
    loop {
        match statuses.next().await {
            Some(Ok(AuthorStatus::InBlock(hash))) if finality == Finality::InBlock => {
                return Ok(hash);
            }
            Some(Ok(AuthorStatus::Finalized(hash))) => return Ok(hash),
            Some(Ok(AuthorStatus::Usurped(_))) => {
                return Err(rejected(
                    "usurped by another transaction with the same nonce",
                ));
            }
            Some(Ok(AuthorStatus::Dropped)) => return Err(rejected("dropped from the pool")),
            Some(Ok(AuthorStatus::Invalid)) => return Err(rejected("invalid")),
            Some(Ok(AuthorStatus::FinalityTimeout(_))) => {
                return Err(ChainError::rpc(
                    "the node stopped waiting for finality; the extrinsic may still be finalized",
                ));
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(ChainError::rpc(redact(e, url))),
            None => return Err(stream_ended()),
        }
    }
}

/// Submits with subxt's default method and returns the block hash, as [`follow_author`].
async fn follow_subxt(
    signed: &Signed,
    url: &str,
    finality: Finality,
    call: &Call,
) -> Result<H256, ChainError> {
    let mut progress = signed
        .submit_and_watch()
        .await
        .map_err(|e| extrinsic_error(e, url, call))?;
    loop {
        match progress.next().await {
            Some(Ok(TransactionStatus::InBestBlock(block))) if finality == Finality::InBlock => {
                return Ok(block.block_hash());
            }
            Some(Ok(TransactionStatus::InFinalizedBlock(block))) => return Ok(block.block_hash()),
            Some(Ok(
                TransactionStatus::Error { message }
                | TransactionStatus::Invalid { message }
                | TransactionStatus::Dropped { message },
            )) => {
                return Err(ChainError::Rejected {
                    reason: rejection::explain(&redact(message, url)),
                });
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(ChainError::rpc(redact(e, url))),
            None => return Err(stream_ended()),
        }
    }
}

/// Reads the block that holds the extrinsic and decodes what became of it from the events
/// of its phase: `System::ExtrinsicFailed`, or for a sudo call `Sudo::Sudid` with an error.
async fn outcome(
    api: &OnlineClient<SubstrateConfig>,
    url: &str,
    block_hash: H256,
    extrinsic_hash: H256,
    elapsed: Duration,
) -> Result<TxOutcome, ChainError> {
    let rpc_error = |e: &dyn std::fmt::Display| ChainError::rpc(redact(e, url));
    let at = api.at_block(block_hash).await.map_err(|e| rpc_error(&e))?;
    let extrinsics = at.extrinsics().fetch().await.map_err(|e| rpc_error(&e))?;
    let index = extrinsics
        .iter()
        .filter_map(Result::ok)
        .find(|ext| ext.hash() == extrinsic_hash)
        .map(|ext| ext.index())
        .ok_or_else(|| ChainError::not_found("the extrinsic in the block that reported it"))?;
    let phase = Phase::ApplyExtrinsic(
        u32::try_from(index).map_err(|_| ChainError::decode("extrinsic index", "too large"))?,
    );
    let events = at.events().fetch().await.map_err(|e| rpc_error(&e))?;
    let mut result = Ok(());
    for event in events.iter() {
        let event = event.map_err(|e| ChainError::decode("block events", e))?;
        if event.phase() != phase {
            continue;
        }
        let field = match (event.pallet_name(), event.event_name()) {
            ("System", "ExtrinsicFailed") => "dispatch_error",
            ("Sudo", "Sudid") => "sudo_result",
            _ => continue,
        };
        let fields: Composite<()> = event
            .decode_fields_unchecked_as()
            .map_err(|e| ChainError::decode(format!("event {}", event.event_name()), e))?;
        let Some(value) = named_or_first(&fields, field) else {
            continue;
        };
        let error = if field == "sudo_result" {
            result_error(value)
        } else {
            Some(value)
        };
        if let Some(error) = error {
            result = Err(dispatch_failure(at.metadata_ref(), error));
            break;
        }
    }
    Ok(TxOutcome {
        block_hash: block_hash.0,
        block_number: at.block_number(),
        extrinsic_hash: extrinsic_hash.0,
        result,
        elapsed,
    })
}

fn rejected(reason: &str) -> ChainError {
    ChainError::Rejected {
        reason: reason.to_owned(),
    }
}

fn stream_ended() -> ChainError {
    ChainError::rpc("transaction status stream ended before the extrinsic reached a block")
}

/// A JSON-RPC error answer to a submission is the node refusing the transaction; anything
/// else is a transport problem.
fn rpc_rejection(error: subxt::rpcs::Error, url: &str) -> ChainError {
    match error {
        subxt::rpcs::Error::User(user) => {
            let data = user.data.as_ref().map(|d| d.get()).unwrap_or_default();
            ChainError::Rejected {
                reason: rejection::explain(&redact(format!("{} {data}", user.message), url)),
            }
        }
        other => ChainError::rpc(redact(other, url)),
    }
}

/// The account's next nonce counting transactions already in the node's pool
/// (`system_accountNextIndex`), so that writes in quick succession do not collide. `None`
/// if the node does not offer it; subxt then reads the nonce at the latest finalized block.
async fn pool_nonce(rpc: &RpcClient, keypair: &Keypair) -> Option<u64> {
    rpc.request::<u64>(
        "system_accountNextIndex",
        rpc_params![keypair.hotkey().to_ss58()],
    )
    .await
    .ok()
}

fn named_or_first<'a>(fields: &'a Composite<()>, name: &str) -> Option<&'a Value<()>> {
    match fields {
        Composite::Named(named) => named
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .or_else(|| named.first().map(|(_, v)| v)),
        Composite::Unnamed(values) => values.first(),
    }
}

fn extrinsic_error(error: ExtrinsicError, url: &str, call: &Call) -> ChainError {
    match error {
        ExtrinsicError::ErrorSubmittingTransaction(BackendError::Rpc(RpcError::ClientError(
            e @ subxt::rpcs::Error::User(_),
        ))) => rpc_rejection(e, url),
        ExtrinsicError::ErrorSubmittingTransaction(e)
        | ExtrinsicError::TransactionStatusStreamError(e) => ChainError::rpc(redact(e, url)),
        ExtrinsicError::PalletNameNotFound(_) | ExtrinsicError::CallNameNotFound { .. } => {
            ChainError::not_found(format!("call {}::{}", call.pallet_name(), call.call_name()))
        }
        ExtrinsicError::EncodeError(e) => ChainError::InvalidArgument {
            reason: format!(
                "cannot encode {}::{} for this runtime: {e}",
                call.pallet_name(),
                call.call_name()
            ),
        },
        ExtrinsicError::AccountNonceError { .. } => ChainError::rpc(redact(error, url)),
        other => ChainError::rpc(redact(other, url)),
    }
}
