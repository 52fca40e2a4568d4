//! `--wallet.*`: which hotkey the process signs with.

use std::path::PathBuf;

use axonite::Keypair;
use axonite::identity::{PasswordSource, WalletError, WalletLocation};

/// The SDK's default wallet root, as `--help` shows it. The `~` is expanded to `$HOME` when
/// the hotkey file is opened ([`WalletLocation::hotkey_file`]).
pub const DEFAULT_WALLET_PATH: &str = "~/.bittensor/wallets";

/// The wallet flags of the bittensor SDK: the hotkey is the file
/// `<wallet.path>/<wallet.name>/hotkeys/<wallet.hotkey>`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct WalletArgs {
    /// Wallet (coldkey) name: a directory under --wallet.path
    #[arg(
        id = "wallet.name",
        help_heading = "Wallet",
        long = "wallet.name",
        env = "AXONITE_WALLET_NAME",
        value_name = "NAME",
        default_value = "default",
        value_parser = plain_name
    )]
    pub name: String,

    /// Hotkey name: a file in the wallet's hotkeys/ directory
    #[arg(
        id = "wallet.hotkey",
        help_heading = "Wallet",
        long = "wallet.hotkey",
        env = "AXONITE_WALLET_HOTKEY",
        value_name = "HOTKEY",
        default_value = "default",
        value_parser = plain_name
    )]
    pub hotkey: String,

    /// Directory holding the wallets, as btcli's
    #[arg(
        id = "wallet.path",
        help_heading = "Wallet",
        long = "wallet.path",
        env = "AXONITE_WALLET_PATH",
        value_name = "DIR",
        default_value = DEFAULT_WALLET_PATH
    )]
    pub path: PathBuf,
}

// === impl WalletArgs ===

impl WalletArgs {
    /// Where the hotkey file is, as the framework names it.
    pub fn location(&self) -> WalletLocation {
        WalletLocation::new(&self.path, &self.name, &self.hotkey)
    }

    /// Loads the hotkey. Errors name the file (`hotkey file <path> not found`, ...); an
    /// encrypted file takes its password from the SDK's `BT_PW_...` variable or a prompt
    /// (see [`WalletLocation::load_hotkey`]).
    pub fn load_hotkey(&self) -> Result<Keypair, WalletError> {
        self.location().load_hotkey()
    }

    /// [`WalletArgs::load_hotkey`] with the password of an encrypted file taken from
    /// `source`, e.g. [`PasswordSource::Env`] for a service that must never prompt.
    pub fn load_hotkey_with(&self, source: &PasswordSource) -> Result<Keypair, WalletError> {
        self.location().load_hotkey_with(source)
    }
}

/// Wallet and hotkey names are joined to the wallet path: a name that is empty or holds a
/// path would point somewhere else than the user meant.
fn plain_name(value: &str) -> Result<String, String> {
    if value.is_empty() {
        Err("must not be empty".into())
    } else if value.contains(['/', '\\']) || value == "." || value == ".." {
        Err("must be a plain name, not a path (use --wallet.path for the directory)".into())
    } else {
        Ok(value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_joins_path_name_and_hotkey_like_the_sdk() {
        let args = WalletArgs {
            name: "miner".into(),
            hotkey: "hk1".into(),
            path: PathBuf::from("/srv/wallets"),
        };
        assert_eq!(
            args.location().hotkey_file(),
            PathBuf::from("/srv/wallets/miner/hotkeys/hk1")
        );
    }

    #[test]
    fn missing_hotkey_file_error_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let args = WalletArgs {
            name: "w".into(),
            hotkey: "h".into(),
            path: dir.path().to_path_buf(),
        };
        let err = args.load_hotkey().unwrap_err();
        let path = dir.path().join("w/hotkeys/h");
        assert_eq!(err, WalletError::NotFound { path: path.clone() });
        assert!(err.to_string().contains(&path.display().to_string()));
    }

    #[test]
    fn names_that_are_paths_or_empty_are_refused() {
        for bad in ["", ".", "..", "a/b", "../x", "a\\b"] {
            assert!(plain_name(bad).is_err(), "{bad:?}");
        }
        for good in ["default", "my-miner", "hk_1", "a.b"] {
            assert_eq!(plain_name(good).as_deref(), Ok(good));
        }
    }
}
