//! Where hotkeys live: the wallet root and `<root>/<wallet>/hotkeys/<hotkey>`.

use std::path::{Component, Path, PathBuf};

use super::{WalletError, load_hotkey_file, load_hotkey_file_with};
use crate::identity::Keypair;
use crate::identity::password::{PasswordSource, password_env_var};

/// The default wallet root of the Python SDK: `$HOME/.bittensor/wallets`.
///
/// If `HOME` is unset or empty, this is the relative path `.bittensor/wallets`.
pub fn default_wallet_root() -> PathBuf {
    match std::env::var_os("HOME") {
        Some(home) if !home.is_empty() => PathBuf::from(home).join(".bittensor").join("wallets"),
        _ => PathBuf::from(".bittensor").join("wallets"),
    }
}

/// Where one hotkey lives: `<root>/<wallet>/hotkeys/<hotkey>`, as in the Python SDK and
/// `btcli` (`--wallet.path`, `--wallet.name`, `--wallet.hotkey`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletLocation {
    /// The wallet root, usually [`default_wallet_root`]. A leading `~` is expanded to `$HOME`
    /// by [`WalletLocation::hotkey_file`], as the SDK does.
    pub root: PathBuf,
    /// The wallet (coldkey) name, e.g. `default`.
    pub wallet: String,
    /// The hotkey name, e.g. `default`.
    pub hotkey: String,
}

// === impl WalletLocation ===

impl WalletLocation {
    /// Names the hotkey `hotkey` of wallet `wallet` under `root`.
    ///
    /// The names are joined to the root as given, as the SDK does: they should be plain
    /// file names, not paths.
    pub fn new(
        root: impl Into<PathBuf>,
        wallet: impl Into<String>,
        hotkey: impl Into<String>,
    ) -> Self {
        Self {
            root: root.into(),
            wallet: wallet.into(),
            hotkey: hotkey.into(),
        }
    }

    /// The path of the hotkey file: `<root>/<wallet>/hotkeys/<hotkey>`.
    pub fn hotkey_file(&self) -> PathBuf {
        expand_tilde(&self.root)
            .join(&self.wallet)
            .join("hotkeys")
            .join(&self.hotkey)
    }

    /// Loads the keypair from [`WalletLocation::hotkey_file`]; see [`load_hotkey_file`].
    pub fn load_hotkey(&self) -> Result<Keypair, WalletError> {
        load_hotkey_file(&self.hotkey_file())
    }

    /// Loads the keypair from [`WalletLocation::hotkey_file`], taking the password of an
    /// encrypted file from `source`; see [`load_hotkey_file_with`].
    pub fn load_hotkey_with(&self, source: &PasswordSource) -> Result<Keypair, WalletError> {
        load_hotkey_file_with(&self.hotkey_file(), source)
    }

    /// The environment variable that holds the hotkey's password ([`password_env_var`] of
    /// [`WalletLocation::hotkey_file`]), as the SDK names it for the same wallet.
    pub fn password_env_var(&self) -> String {
        password_env_var(&self.hotkey_file())
    }
}

/// Replaces a leading `~` component with `$HOME` (when set).
pub(super) fn expand_tilde(path: &Path) -> PathBuf {
    let mut components = path.components();
    match (components.next(), std::env::var_os("HOME")) {
        (Some(Component::Normal(first)), Some(home)) if first == "~" && !home.is_empty() => {
            PathBuf::from(home).join(components.as_path())
        }
        _ => path.to_path_buf(),
    }
}
