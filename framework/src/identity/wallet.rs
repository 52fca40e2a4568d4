//! Bittensor wallet files: where hotkeys live on disk and how to read and write them.
//!
//! Unencrypted keyfiles are JSON; NaCl-encrypted ones (`$NACL`) are opened with a password
//! from a [`PasswordSource`](super::PasswordSource) (see `encrypted.rs` for the format,
//! `password.rs` for where passwords come from).
//!
//! - `location.rs`: the wallet root and the path of a hotkey;
//! - `load.rs`: reading a keyfile (plain or encrypted) into a [`Keypair`](super::Keypair);
//! - `write.rs`: writing a plaintext keyfile as the SDK does;
//! - `error.rs`: [`WalletError`], whose messages never hold a secret.

mod error;
mod load;
mod location;
mod write;

pub use error::WalletError;
pub(crate) use error::malformed;
pub use load::{load_hotkey_file, load_hotkey_file_with};
pub use location::{WalletLocation, default_wallet_root};
pub use write::write_hotkey_file;

/// The SDK's `cryptoType` for sr25519 keys (`CRYPTO_SR25519`).
const SR25519_CRYPTO_TYPE: i64 = 1;

// What the test modules below reach with `use super::*`.
#[cfg(test)]
use {
    super::password::{self, Host, PasswordSource, password_env_var},
    super::{Hotkey, Keypair},
    load::{Keyfile, MAX_KEYFILE_LEN, classify, load_with_host, parse_json_keyfile},
    sp_core::Pair as _,
    std::fs,
    std::path::{Path, PathBuf},
};

#[cfg(test)]
mod sdk_vectors;

#[cfg(test)]
mod tests;
