//! Talking to a subtensor chain: reading the metagraph, serving an axon, setting weights.
//!
//! [`ChainClient`] connects to a node's WebSocket JSON-RPC with subxt's *dynamic* API: the
//! runtime metadata is fetched from the node at run time (and cached per runtime version),
//! nothing is generated or downloaded at build time, and every storage item and call is
//! looked up by name. A runtime upgrade therefore never breaks the build, and the
//! differences between runtime versions are handled where they matter:
//!
//! - structs (an axon) and errors are decoded into `scale_value::Value` and read by field
//!   name, so added or reordered fields are harmless;
//! - items some runtimes lack (`Rank`, `Trust`, `CommitRevealWeightsVersion`, ...) read as
//!   `None`; stake comes from `TotalHotkeyAlpha` on dTAO runtimes and falls back to
//!   `TotalHotkeyStake`;
//! - calls are encoded with named arguments, so a renamed argument fails loudly.
//!
//! # Reading
//!
//! A [`ChainAtBlock`] pins one block, so that a [`Metagraph`](crate::metagraph::Metagraph)
//! is consistent: [`ChainClient::metagraph`] reads at the latest finalized block.
//!
//! # Writing
//!
//! Writes are signed by an Axonite [`Keypair`](crate::Keypair) (through [`ChainSigner`]),
//! wait for inclusion or finalization ([`Finality`]), and return a [`TxOutcome`]: the block,
//! and whether the call dispatched, with a failed dispatch decoded to its pallet error
//! (`SubtensorModule::SettingWeightsTooFast`). A transaction the node refuses before any
//! block (bad nonce, subtensor pre-dispatch checks) is a [`ChainError::Rejected`].
//!
//! Commit-reveal: commit [`commit_hash`] of the weights with
//! [`ChainClient::commit_weights`], then, during the reveal epoch
//! ([`Hyperparameters::reveal_window`](crate::metagraph::Hyperparameters::reveal_window)),
//! send the same weights and salt with [`ChainClient::reveal_weights`].
//!
//! # Connecting
//!
//! `wss://` URLs are always accepted; plain `ws://` only to loopback hosts (a local node or
//! Chopsticks) unless [`ChainOptions::allow_insecure`] is set. URLs never appear in errors
//! or `Debug` output, since they may hold credentials.
//!
//! ```no_run
//! # async fn demo() -> Result<(), axonite::chain::ChainError> {
//! use axonite::chain::ChainClient;
//! use axonite::metagraph::AxonInfo;
//! use axonite::Keypair;
//!
//! let chain = ChainClient::connect("ws://127.0.0.1:9944").await?;
//! let hotkey = Keypair::from_dev_uri("//Bob").expect("dev key");
//!
//! let axon = AxonInfo::axonite("127.0.0.2".parse().unwrap(), 8091);
//! chain.serve_axon(&hotkey, 1, &axon).await?.into_result()?;
//!
//! let graph = chain.metagraph(1).await?;
//! assert!(graph.by_hotkey(&hotkey.hotkey()).is_some_and(|n| n.serves_axonite()));
//! # Ok(()) }
//! ```

mod admin;
mod at_block;
mod calls;
mod client;
mod commit;
mod decode;
mod error;
mod options;
mod rejection;
mod schema;
mod signer;
mod submit;
mod url;

#[cfg(test)]
mod metadata_tests;
#[cfg(test)]
mod tests;

pub use at_block::ChainAtBlock;
pub use client::{BlockRef, ChainClient, FinalizedBlocks};
pub use commit::commit_hash;
pub use error::{ChainError, DispatchFailure};
pub use options::{ChainOptions, Finality};
pub use signer::ChainSigner;
pub use submit::TxOutcome;
