//! Why a hotkey file could not be loaded or written; messages never hold a secret.

use std::io;
use std::path::{Path, PathBuf};

/// Why a hotkey file could not be loaded or written.
///
/// Messages name the file and the problem. They never contain the file's contents: no seed,
/// phrase or private key can leak through an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalletError {
    /// There is no file at this path.
    #[error("hotkey file {} not found", .path.display())]
    NotFound {
        /// The path that was looked up.
        path: PathBuf,
    },
    /// The file exists but could not be read (permissions, a directory, I/O error).
    #[error("hotkey file {} could not be read: {reason}", .path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The operating system's error message.
        reason: String,
    },
    /// The file is NaCl-encrypted (starts with `$NACL`, as `btcli` writes when asked for a
    /// password) and the [`PasswordSource`](crate::identity::PasswordSource) had no password: the variable is unset and there
    /// is no terminal to prompt on.
    #[error(
        "hotkey file {} is encrypted and no password is available: set {env_var} to the value the SDK's save_password_to_env stores, or load it from a terminal to be prompted",
        .path.display()
    )]
    PasswordRequired {
        /// The file.
        path: PathBuf,
        /// The environment variable the password can be given in ([`password_env_var`](crate::identity::password_env_var)).
        env_var: String,
    },
    /// The password does not open the NaCl-encrypted file. A damaged file looks the same:
    /// its authentication tag does not verify either way.
    #[error(
        "hotkey file {} could not be decrypted: wrong password (or the file is damaged)",
        .path.display()
    )]
    WrongPassword {
        /// The file.
        path: PathBuf,
    },
    /// The file's password variable is set but does not hold a value as the SDK writes it.
    #[error(
        "password variable {env_var} for hotkey file {} is unusable: {reason}",
        .path.display()
    )]
    InvalidPasswordVariable {
        /// The encrypted file.
        path: PathBuf,
        /// The variable ([`password_env_var`](crate::identity::password_env_var)).
        env_var: String,
        /// What is wrong with the value; never the value.
        reason: &'static str,
    },
    /// The terminal prompt for the file's password failed.
    #[error("could not read the password for hotkey file {}: {reason}", .path.display())]
    PasswordPrompt {
        /// The encrypted file.
        path: PathBuf,
        /// The operating system's error message.
        reason: String,
    },
    /// The file uses an encryption format of old SDK versions.
    #[error(
        "hotkey file {} is encrypted ({format}, a legacy format) which is not supported: re-encrypt it with a current btcli (NaCl) or use an unencrypted hotkey",
        .path.display()
    )]
    LegacyEncrypted {
        /// The file.
        path: PathBuf,
        /// `"Ansible Vault"` or `"Fernet"`.
        format: &'static str,
    },
    /// The file is not a usable keyfile: not JSON, too large, no secret, or a secret that does
    /// not decode.
    #[error("hotkey file {} is malformed: {reason}", .path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong; never any of the file's contents.
        reason: String,
    },
    /// The file holds a key of another type than sr25519 (its `cryptoType` is not 1, e.g. 0
    /// for ed25519): hotkeys sign with sr25519.
    #[error(
        "hotkey file {} holds a key of crypto type {crypto_type}; only sr25519 (1) hotkeys are supported",
        .path.display()
    )]
    UnsupportedKeyType {
        /// The file.
        path: PathBuf,
        /// The file's `cryptoType`.
        crypto_type: i64,
    },
    /// The file's `ss58Address` is not the address of the key its secret derives.
    #[error(
        "hotkey file {} says ss58Address {expected} but its secret derives {derived}",
        .path.display()
    )]
    AddressMismatch {
        /// The file.
        path: PathBuf,
        /// The address written in the file.
        expected: String,
        /// The address of the key derived from the file's secret.
        derived: String,
    },
    /// [`write_hotkey_file`](crate::identity::write_hotkey_file) found a file already there and left it untouched: overwriting
    /// would destroy a key.
    #[error("hotkey file {} already exists; refusing to overwrite a key", .path.display())]
    AlreadyExists {
        /// The existing file.
        path: PathBuf,
    },
    /// [`write_hotkey_file`](crate::identity::write_hotkey_file) could not create the directories or the file.
    #[error("hotkey file {} could not be written: {reason}", .path.display())]
    Unwritable {
        /// The file.
        path: PathBuf,
        /// The operating system's error message.
        reason: String,
    },
}

pub(super) fn read_error(path: &Path, e: &io::Error) -> WalletError {
    match e.kind() {
        io::ErrorKind::NotFound => WalletError::NotFound {
            path: path.to_path_buf(),
        },
        _ => WalletError::Unreadable {
            path: path.to_path_buf(),
            reason: e.to_string(),
        },
    }
}

pub(crate) fn malformed(path: &Path, reason: &str) -> WalletError {
    WalletError::Malformed {
        path: path.to_path_buf(),
        reason: reason.to_owned(),
    }
}
