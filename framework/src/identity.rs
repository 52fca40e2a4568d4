//! Who a node is: sr25519 keys, Bittensor hotkeys and wallet files.
//!
//! # Hotkeys
//!
//! Every neuron on a Bittensor subnet is identified by its *hotkey*: the 32-byte public half of
//! an [sr25519] keypair (Schnorr signatures over Ristretto255, the scheme Substrate chains
//! use). A [`Hotkey`] is that public key; a [`Keypair`] holds the secret half and signs.
//! Signatures are 64 bytes and use the Substrate signing context, so a signature made here
//! verifies on chain and in the Python SDK, and the other way round.
//!
//! # SS58 addresses
//!
//! Hotkeys are shown as [SS58] strings: base58 of a network prefix, the key and a two-byte
//! blake2b checksum. Bittensor uses the generic Substrate prefix **42**, which is why every
//! Bittensor address starts with `5`. [`Hotkey::to_ss58`] always writes prefix 42;
//! [`Hotkey::from_ss58`] accepts any valid prefix, because the key, not the prefix, is the
//! identity.
//!
//! # Wallet files
//!
//! The Python SDK (`bittensor-wallet`, `btcli`) keeps keys under a wallet root, by default
//! `~/.bittensor/wallets`:
//!
//! ```text
//! ~/.bittensor/wallets/
//! └── <wallet>/            one wallet = one coldkey ...
//!     ├── coldkey          encrypted, never needed by a running miner or validator
//!     ├── coldkeypub.txt
//!     └── hotkeys/
//!         └── <hotkey>     ... and any number of hotkeys: JSON, usually unencrypted
//! ```
//!
//! A hotkey file is JSON with `accountId`, `publicKey`, `privateKey`, `secretPhrase`,
//! `secretSeed` and `ss58Address` fields (and `cryptoType` since SDK 4.1). [`WalletLocation`]
//! names one such file, [`load_hotkey_file`] reads it and [`write_hotkey_file`] writes one in
//! the same format (unencrypted).
//!
//! # Encrypted keyfiles
//!
//! `btcli` encrypts a key when asked for a password: the file then starts with `$NACL` and
//! holds the same JSON sealed with XSalsa20-Poly1305 under a key derived from the password
//! with Argon2i (512 MiB, 8 passes). [`load_hotkey_file`] decrypts such files in pure Rust,
//! taking the password from the SDK's environment variable for the file
//! ([`password_env_var`], e.g. `BT_PW__HOME_ME__BITTENSOR_WALLETS_MINER_HOTKEYS_DEFAULT`,
//! whose value is what the SDK's `save_password_to_env` writes, see [`password_env_value`]),
//! else from a no-echo prompt when standard input is a terminal. [`load_hotkey_file_with`]
//! takes another [`PasswordSource`]. Without a password the error names the file and the
//! variable; a wrong one is [`WalletError::WrongPassword`]. Passwords and derived keys are
//! wiped from memory after use. The legacy Ansible Vault and Fernet formats are recognised
//! and refused with a clear [`WalletError`] rather than misread.
//!
//! ```
//! use axonite::identity::{Hotkey, Keypair};
//!
//! let alice = Keypair::from_dev_uri("//Alice")?;
//! let hotkey: Hotkey = alice.hotkey();
//! assert_eq!(hotkey.to_ss58(), "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY");
//!
//! let signature = alice.sign(b"hello");
//! assert!(hotkey.verify(b"hello", &signature));
//! # Ok::<(), axonite::identity::IdentityError>(())
//! ```
//!
//! Secrets never appear in `Debug`, `Display` or error messages: a [`Keypair`] prints as its
//! public address, a [`Password`] as `Password(..)`, and errors name what was wrong, not the
//! input.
//!
//! [sr25519]: https://wiki.polkadot.network/docs/learn-cryptography
//! [SS58]: https://docs.substrate.io/reference/address-formats/

mod encrypted;
mod hotkey;
mod keypair;
mod password;
mod wallet;

pub use hotkey::Hotkey;
pub use keypair::Keypair;
pub use password::{Password, PasswordSource, password_env_value, password_env_var};
pub use wallet::{
    WalletError, WalletLocation, default_wallet_root, load_hotkey_file, load_hotkey_file_with,
    write_hotkey_file,
};

/// The SS58 network prefix Bittensor uses for addresses (the generic Substrate prefix).
pub const SS58_PREFIX: u16 = 42;

/// Why a key or an address could not be built.
///
/// Messages describe the problem only: they never contain the seed, phrase or URI that was
/// rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// The seed was not 32 bytes written as 64 hex digits (with or without `0x`).
    #[error("invalid seed: expected 32 bytes as 64 hex digits")]
    InvalidSeed,
    /// The phrase was not a valid English BIP39 mnemonic (wrong word, count or checksum).
    #[error("invalid secret phrase: not a valid English BIP39 mnemonic")]
    InvalidPhrase,
    /// The secret URI (`//Alice`, `<phrase>//hard/soft///password`, `0x<seed>`) could not be
    /// parsed or derived.
    #[error("invalid secret URI")]
    InvalidUri,
    /// The secret URI is valid but yields no seed, which a [`Keypair`] needs to be written
    /// back to a wallet file: this happens with soft junctions (`/name`). Use hard junctions
    /// (`//name`) only.
    #[error("secret URI derives a key without a seed (soft junction); use hard junctions only")]
    UriWithoutSeed,
    /// The string is not an SS58 address of a 32-byte key.
    #[error("invalid SS58 address: {reason}")]
    InvalidSs58 {
        /// What is wrong (bad base58, length, prefix or checksum); never the input itself.
        reason: String,
    },
}
