//! Reading hotkey files: plain JSON or NaCl-encrypted, checked field by field.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use serde::Deserialize;
use zeroize::{Zeroize, Zeroizing};

use super::error::{malformed, read_error};
use super::{SR25519_CRYPTO_TYPE, WalletError};
use crate::identity::encrypted::{NACL_PREFIX, NaclBox};
use crate::identity::password::{self, Host, PasswordSource};
use crate::identity::{Hotkey, Keypair};

/// Hotkey files are a few hundred bytes; anything larger is not one.
pub(super) const MAX_KEYFILE_LEN: u64 = 64 * 1024;

/// Loads a Bittensor hotkey file, decrypting it if it is encrypted.
///
/// The file must be at most 64 KiB: JSON, or NaCl-encrypted JSON (`$NACL`). The key comes
/// from `secretSeed` (32 bytes of hex) if present, else from `secretPhrase` (a BIP39
/// mnemonic); if both are present they must describe the same key. If `ss58Address` is
/// present it must be the address of that key; if `cryptoType` is present it must be 1
/// (sr25519). Files holding only a `privateKey` or only a public address are refused as
/// [`WalletError::Malformed`], because a [`Keypair`] keeps its seed.
///
/// The password of an encrypted file comes from [`PasswordSource::EnvThenPrompt`]: the
/// SDK's `BT_PW_...` variable ([`password_env_var`](crate::identity::password_env_var)), else a prompt when standard input is a
/// terminal, else [`WalletError::PasswordRequired`]. Decrypting takes a few seconds and
/// 512 MiB of memory (Argon2i, as the SDK). Files in the legacy Ansible Vault or Fernet
/// formats are refused with [`WalletError::LegacyEncrypted`].
pub fn load_hotkey_file(path: &Path) -> Result<Keypair, WalletError> {
    load_hotkey_file_with(path, &PasswordSource::EnvThenPrompt)
}

/// [`load_hotkey_file`], with the password of an encrypted file taken from `source`.
///
/// ```no_run
/// use std::path::Path;
/// use axonite::identity::{Password, PasswordSource, load_hotkey_file_with};
///
/// let path = Path::new("/home/me/.bittensor/wallets/miner/hotkeys/default");
/// // A service that must never block on a prompt: the environment variable only.
/// let keypair = load_hotkey_file_with(path, &PasswordSource::Env)?;
/// // A password obtained elsewhere (a secret store, a config file).
/// let keypair = load_hotkey_file_with(path, &PasswordSource::Given(Password::new("hunter2")))?;
/// # Ok::<(), axonite::identity::WalletError>(())
/// ```
pub fn load_hotkey_file_with(path: &Path, source: &PasswordSource) -> Result<Keypair, WalletError> {
    load_with_host(path, source, &Host::system())
}

/// [`load_hotkey_file_with`] reading the environment and terminal through `host`.
pub(super) fn load_with_host(
    path: &Path,
    source: &PasswordSource,
    host: &Host<'_>,
) -> Result<Keypair, WalletError> {
    let file = File::open(path).map_err(|e| read_error(path, &e))?;
    // Room for one byte past the cap, so that an oversized file is noticed; reserved up front
    // so that the buffer holding secrets is never reallocated (and copied) while reading.
    let mut data = Zeroizing::new(Vec::with_capacity(MAX_KEYFILE_LEN as usize + 1));
    file.take(MAX_KEYFILE_LEN + 1)
        .read_to_end(&mut data)
        .map_err(|e| read_error(path, &e))?;
    if data.len() as u64 > MAX_KEYFILE_LEN {
        return Err(malformed(path, "larger than 64 KiB"));
    }
    let (keypair, encrypted) = match classify(path, &data)? {
        Keyfile::Json(json) => (parse_json_keyfile(path, json)?, false),
        Keyfile::Nacl(nacl) => {
            let password = password::resolve(source, path, host)?;
            let json = nacl.open(path, password.as_bytes())?;
            (parse_json_keyfile(path, &json)?, true)
        }
    };
    tracing::debug!(
        path = %path.display(),
        hotkey = %keypair.hotkey(),
        encrypted,
        "loaded hotkey file"
    );
    Ok(keypair)
}

/// What a keyfile holds, told by its first bytes.
pub(super) enum Keyfile<'a> {
    /// Plain JSON (or something that should be).
    Json(&'a [u8]),
    /// A NaCl-encrypted JSON keyfile.
    Nacl(NaclBox<'a>),
}

/// The JSON fields that matter when loading; the others (`accountId`, `publicKey`,
/// `privateKey`) are skipped without being copied.
#[derive(Deserialize)]
struct KeyfileIn {
    #[serde(rename = "secretSeed", default)]
    secret_seed: Option<String>,
    #[serde(rename = "secretPhrase", default)]
    secret_phrase: Option<String>,
    #[serde(rename = "ss58Address", default)]
    ss58_address: Option<String>,
    /// Written by SDK 4.1 and later: 1 for sr25519, 0 for ed25519.
    #[serde(rename = "cryptoType", default)]
    crypto_type: Option<i64>,
}

impl Drop for KeyfileIn {
    fn drop(&mut self) {
        self.secret_seed.zeroize();
        self.secret_phrase.zeroize();
    }
}

/// Tells a plain keyfile from an encrypted one by its first bytes (after any whitespace),
/// refusing legacy encryptions; `path` is only used in errors.
pub(super) fn classify<'a>(path: &Path, data: &'a [u8]) -> Result<Keyfile<'a>, WalletError> {
    let start = data
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(data.len());
    let head = &data[start..];
    if let Some(body) = head.strip_prefix(NACL_PREFIX) {
        return NaclBox::parse(path, body).map(Keyfile::Nacl);
    }
    if head.starts_with(b"$ANSIBLE_VAULT") {
        return Err(WalletError::LegacyEncrypted {
            path: path.to_path_buf(),
            format: "Ansible Vault",
        });
    }
    if head.starts_with(b"gAAAAA") {
        return Err(WalletError::LegacyEncrypted {
            path: path.to_path_buf(),
            format: "Fernet",
        });
    }
    Ok(Keyfile::Json(data))
}

/// Turns the bytes of a plain JSON keyfile into a keypair; `path` is only used in errors.
pub(super) fn parse_json_keyfile(path: &Path, data: &[u8]) -> Result<Keypair, WalletError> {
    let start = data
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(data.len());
    let head = &data[start..];

    // The SDK reads a JSON object; serde would also accept a struct written as an array.
    if !head.starts_with(b"{") {
        return Err(malformed(path, "not a JSON object"));
    }

    // serde_json's messages can quote the input (`invalid type: string "..."`): keep only
    // the kind of error and its position.
    let json: KeyfileIn = serde_json::from_slice(data).map_err(|e| {
        let kind = match e.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "not valid JSON",
            serde_json::error::Category::Data => "unexpected JSON structure or field type",
            serde_json::error::Category::Eof => "truncated JSON",
        };
        malformed(
            path,
            &format!("{kind} at line {} column {}", e.line(), e.column()),
        )
    })?;

    if let Some(crypto_type) = json.crypto_type.filter(|&t| t != SR25519_CRYPTO_TYPE) {
        return Err(WalletError::UnsupportedKeyType {
            path: path.to_path_buf(),
            crypto_type,
        });
    }

    let keypair = match (json.secret_seed.as_deref(), json.secret_phrase.as_deref()) {
        (Some(seed), phrase) => {
            let keypair = Keypair::from_seed_hex(seed)
                .map_err(|_| malformed(path, "secretSeed is not 32 bytes of hex"))?;
            if let Some(phrase) = phrase {
                let from_phrase = Keypair::from_phrase(phrase)
                    .map_err(|_| malformed(path, "secretPhrase is not a valid BIP39 mnemonic"))?;
                if from_phrase.hotkey() != keypair.hotkey() {
                    return Err(malformed(
                        path,
                        "secretSeed and secretPhrase describe different keys",
                    ));
                }
            }
            keypair
        }
        (None, Some(phrase)) => Keypair::from_phrase(phrase)
            .map_err(|_| malformed(path, "secretPhrase is not a valid BIP39 mnemonic"))?,
        (None, None) => return Err(malformed(path, "no secretSeed or secretPhrase")),
    };

    if let Some(address) = json.ss58_address.as_deref() {
        let expected = Hotkey::from_ss58(address)
            .map_err(|_| malformed(path, "ss58Address is not a valid SS58 address"))?;
        let derived = keypair.hotkey();
        if expected != derived {
            return Err(WalletError::AddressMismatch {
                path: path.to_path_buf(),
                expected: address.to_owned(),
                derived: derived.to_ss58(),
            });
        }
    }
    Ok(keypair)
}
