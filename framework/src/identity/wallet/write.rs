//! Writing plaintext hotkey files the way the SDK does.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sp_core::Pair as _;
use zeroize::Zeroizing;

use super::{WalletError, WalletLocation};
use crate::identity::Keypair;

/// The keyfile as the SDK writes it, field for field.
#[derive(Serialize)]
struct KeyfileOut<'a> {
    #[serde(rename = "accountId")]
    account_id: &'a str,
    #[serde(rename = "publicKey")]
    public_key: &'a str,
    #[serde(rename = "privateKey")]
    private_key: &'a str,
    #[serde(rename = "secretPhrase")]
    secret_phrase: Option<&'a str>,
    #[serde(rename = "secretSeed")]
    secret_seed: &'a str,
    #[serde(rename = "ss58Address")]
    ss58_address: &'a str,
}

/// Writes `keypair` as a plaintext (unencrypted) Bittensor hotkey file at
/// [`WalletLocation::hotkey_file`] and returns that path.
///
/// The JSON has the SDK's fields: `accountId` and `publicKey` (the public key),
/// `privateKey` (the 64-byte expanded secret key), `secretPhrase` (`null`: the phrase is not
/// kept), `secretSeed` and `ss58Address`; byte fields are lowercase hex with `0x`. Missing
/// directories are created (mode `0o700` on unix) and the file gets mode `0o600` on unix.
///
/// An existing file is never overwritten: that is [`WalletError::AlreadyExists`].
///
/// Anyone who can read the file controls the hotkey: this is meant for tests, demos and local
/// setups. Production hotkeys are usually created with `btcli`.
pub fn write_hotkey_file(
    location: &WalletLocation,
    keypair: &Keypair,
) -> Result<PathBuf, WalletError> {
    let path = location.hotkey_file();
    let unwritable = |e: io::Error| WalletError::Unwritable {
        path: path.clone(),
        reason: e.to_string(),
    };

    let hotkey = keypair.hotkey();
    let public_hex = format!("0x{}", hex::encode(hotkey.as_bytes()));
    let private_raw = Zeroizing::new(keypair.pair().to_raw_vec());
    let private_hex = Zeroizing::new(format!("0x{}", hex::encode(&*private_raw)));
    let seed_hex = Zeroizing::new(format!("0x{}", hex::encode(keypair.seed())));
    let ss58 = hotkey.to_ss58();
    let mut json = Zeroizing::new(Vec::with_capacity(1024));
    serde_json::to_writer(
        &mut *json,
        &KeyfileOut {
            account_id: &public_hex,
            public_key: &public_hex,
            private_key: &private_hex,
            secret_phrase: None,
            secret_seed: &seed_hex,
            ss58_address: &ss58,
        },
    )
    .map_err(|e| unwritable(e.into()))?;

    if let Some(dir) = path.parent() {
        create_private_dir_all(dir).map_err(unwritable)?;
    }

    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&path).map_err(|e| match e.kind() {
        io::ErrorKind::AlreadyExists => WalletError::AlreadyExists { path: path.clone() },
        _ => unwritable(e),
    })?;

    let written = (|| {
        #[cfg(unix)]
        {
            // The mode given to `open` is filtered by the umask; make it exactly 0600.
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(fs::Permissions::from_mode(0o600))?;
        }
        file.write_all(&json)?;
        file.sync_all()
    })();
    if let Err(e) = written {
        drop(file);
        // Do not leave a truncated keyfile behind; the write error is the one to report.
        let _ = fs::remove_file(&path);
        return Err(unwritable(e));
    }

    tracing::debug!(path = %path.display(), %hotkey, "wrote hotkey file");
    Ok(path)
}

/// `create_dir_all`, with mode `0o700` for the directories it creates on unix.
fn create_private_dir_all(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}
