//! Bittensor wallet files: where hotkeys live on disk and how to read and write them.
//!
//! Unencrypted keyfiles are JSON; NaCl-encrypted ones (`$NACL`) are opened with a password
//! from a [`PasswordSource`] (see `encrypted.rs` for the format, `password.rs` for where
//! passwords come from).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use sp_core::Pair as _;
use zeroize::{Zeroize, Zeroizing};

use super::encrypted::{NACL_PREFIX, NaclBox};
use super::password::{self, Host, PasswordSource, password_env_var};
use super::{Hotkey, Keypair};

/// Hotkey files are a few hundred bytes; anything larger is not one.
const MAX_KEYFILE_LEN: u64 = 64 * 1024;

/// The SDK's `cryptoType` for sr25519 keys (`CRYPTO_SR25519`).
const SR25519_CRYPTO_TYPE: i64 = 1;

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
    /// password) and the [`PasswordSource`] had no password: the variable is unset and there
    /// is no terminal to prompt on.
    #[error(
        "hotkey file {} is encrypted and no password is available: set {env_var} to the value the SDK's save_password_to_env stores, or load it from a terminal to be prompted",
        .path.display()
    )]
    PasswordRequired {
        /// The file.
        path: PathBuf,
        /// The environment variable the password can be given in ([`password_env_var`]).
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
        /// The variable ([`password_env_var`]).
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
    /// [`write_hotkey_file`] found a file already there and left it untouched: overwriting
    /// would destroy a key.
    #[error("hotkey file {} already exists; refusing to overwrite a key", .path.display())]
    AlreadyExists {
        /// The existing file.
        path: PathBuf,
    },
    /// [`write_hotkey_file`] could not create the directories or the file.
    #[error("hotkey file {} could not be written: {reason}", .path.display())]
    Unwritable {
        /// The file.
        path: PathBuf,
        /// The operating system's error message.
        reason: String,
    },
}

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
fn expand_tilde(path: &Path) -> PathBuf {
    let mut components = path.components();
    match (components.next(), std::env::var_os("HOME")) {
        (Some(Component::Normal(first)), Some(home)) if first == "~" && !home.is_empty() => {
            PathBuf::from(home).join(components.as_path())
        }
        _ => path.to_path_buf(),
    }
}

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
/// SDK's `BT_PW_...` variable ([`password_env_var`]), else a prompt when standard input is a
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
fn load_with_host(
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
enum Keyfile<'a> {
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
fn classify<'a>(path: &Path, data: &'a [u8]) -> Result<Keyfile<'a>, WalletError> {
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
fn parse_json_keyfile(path: &Path, data: &[u8]) -> Result<Keypair, WalletError> {
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

fn read_error(path: &Path, e: &io::Error) -> WalletError {
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

pub(super) fn malformed(path: &Path, reason: &str) -> WalletError {
    WalletError::Malformed {
        path: path.to_path_buf(),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod sdk_vectors;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sp_core::sr25519;

    const ALICE_SS58: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

    fn alice() -> Keypair {
        Keypair::from_dev_uri("//Alice").expect("valid dev URI")
    }

    fn location(dir: &tempfile::TempDir) -> WalletLocation {
        WalletLocation::new(dir.path(), "miner", "default")
    }

    /// Writes `contents` as the hotkey file of `location(dir)`.
    fn put(dir: &tempfile::TempDir, contents: &[u8]) -> PathBuf {
        let path = location(dir).hotkey_file();
        fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
        fs::write(&path, contents).expect("write");
        path
    }

    fn seed_hex(kp: &Keypair) -> String {
        hex::encode(kp.seed())
    }

    #[test]
    fn written_hotkey_loads_back_as_the_same_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let kp = Keypair::generate();
        let path = write_hotkey_file(&location(&dir), &kp).expect("write");
        let loaded = load_hotkey_file(&path).expect("load");
        assert_eq!(loaded.hotkey(), kp.hotkey());
        assert_eq!(loaded.seed(), kp.seed());
        assert_eq!(
            location(&dir).load_hotkey().expect("load").hotkey(),
            kp.hotkey()
        );
    }

    #[test]
    fn hotkey_file_uses_the_sdk_layout() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write_hotkey_file(&location(&dir), &alice()).expect("write");
        assert_eq!(
            path,
            dir.path().join("miner").join("hotkeys").join("default")
        );
        assert_eq!(path, location(&dir).hotkey_file());
    }

    #[test]
    fn default_root_is_under_home() {
        let root = default_wallet_root();
        assert!(root.ends_with(".bittensor/wallets"));
    }

    #[test]
    fn written_file_has_the_sdk_fields() {
        let dir = tempfile::tempdir().expect("tempdir");
        let kp = alice();
        let path = write_hotkey_file(&location(&dir), &kp).expect("write");
        let json: serde_json::Value =
            serde_json::from_slice(&fs::read(&path).expect("read")).expect("json");
        let public = format!("0x{}", hex::encode(kp.hotkey().as_bytes()));
        assert_eq!(json["accountId"], public.as_str());
        assert_eq!(json["publicKey"], public.as_str());
        assert_eq!(json["secretPhrase"], serde_json::Value::Null);
        assert_eq!(json["secretSeed"], format!("0x{}", seed_hex(&kp)).as_str());
        assert_eq!(json["ss58Address"], ALICE_SS58);
        let private = json["privateKey"].as_str().expect("privateKey is a string");
        assert_eq!(private.len(), 2 + 128);
        assert!(private.starts_with("0x"));
        assert_eq!(private, private.to_lowercase());
        assert_eq!(json.as_object().map(|o| o.len()), Some(6));
    }

    #[cfg(unix)]
    #[test]
    fn written_file_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write_hotkey_file(&location(&dir), &alice()).expect("write");
        let mode = fs::metadata(&path).expect("metadata").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn existing_file_is_never_overwritten() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = alice();
        write_hotkey_file(&location(&dir), &first).expect("write");
        let err = write_hotkey_file(&location(&dir), &Keypair::generate()).expect_err("exists");
        assert!(matches!(err, WalletError::AlreadyExists { .. }));
        assert_eq!(
            location(&dir).load_hotkey().expect("load").hotkey(),
            first.hotkey()
        );
    }

    /// No environment variable, no terminal: what a service started without a password sees.
    fn headless() -> Host<'static> {
        Host {
            var: Box::new(|_| None),
            interactive: false,
            prompt: Box::new(|_| panic!("must not prompt")),
        }
    }

    #[test]
    fn nacl_file_without_a_password_names_the_file_and_the_variable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = put(&dir, &[b"$NACL".as_slice(), &[0x5a; 24 + 16 + 32]].concat());
        let err = load_with_host(&path, &PasswordSource::EnvThenPrompt, &headless())
            .expect_err("encrypted");
        let env_var = location(&dir).password_env_var();
        assert!(env_var.starts_with("BT_PW_") && env_var.ends_with("_MINER_HOTKEYS_DEFAULT"));
        assert_eq!(
            err,
            WalletError::PasswordRequired {
                path: path.clone(),
                env_var: env_var.clone()
            }
        );
        let message = err.to_string();
        assert!(message.contains(&path.display().to_string()));
        assert!(message.contains(&env_var));
        assert!(message.contains("encrypted"));
    }

    #[test]
    fn truncated_nacl_file_is_malformed_before_a_password_is_asked_for() {
        let dir = tempfile::tempdir().expect("tempdir");
        for len in [0, 1, 24, 24 + 15] {
            let path = put(&dir, &[b"$NACL".as_slice(), &vec![1; len]].concat());
            let err = load_with_host(&path, &PasswordSource::EnvThenPrompt, &headless())
                .expect_err("truncated");
            assert!(
                matches!(err, WalletError::Malformed { .. }),
                "{len}: {err:?}"
            );
        }
    }

    #[test]
    fn a_crypto_type_other_than_sr25519_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let seed = seed_hex(&alice());
        let path = put(
            &dir,
            format!(r#"{{"secretSeed": "0x{seed}", "cryptoType": 0}}"#).as_bytes(),
        );
        assert_eq!(
            load_hotkey_file(&path).map(|k| k.hotkey()),
            Err(WalletError::UnsupportedKeyType {
                path: path.clone(),
                crypto_type: 0
            })
        );
        fs::write(
            &path,
            format!(r#"{{"secretSeed": "0x{seed}", "cryptoType": 1}}"#),
        )
        .expect("write");
        assert_eq!(
            load_hotkey_file(&path).expect("sr25519").hotkey(),
            alice().hotkey()
        );
    }

    #[test]
    fn legacy_encrypted_files_are_named_by_format() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = put(&dir, b"$ANSIBLE_VAULT;1.1;AES256\n6162");
        assert!(matches!(
            load_hotkey_file(&path),
            Err(WalletError::LegacyEncrypted {
                format: "Ansible Vault",
                ..
            })
        ));
        fs::write(&path, b"gAAAAABkZ2Vy").expect("write");
        assert!(matches!(
            load_hotkey_file(&path),
            Err(WalletError::LegacyEncrypted {
                format: "Fernet",
                ..
            })
        ));
    }

    #[test]
    fn missing_file_is_not_found() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = location(&dir).hotkey_file();
        assert_eq!(
            load_hotkey_file(&path).map(|k| k.hotkey()),
            Err(WalletError::NotFound { path })
        );
    }

    #[test]
    fn directory_is_unreadable_not_malformed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = load_hotkey_file(dir.path()).expect_err("a directory");
        assert!(matches!(err, WalletError::Unreadable { .. }), "{err:?}");
    }

    #[test]
    fn malformed_json_error_does_not_contain_the_secret() {
        let dir = tempfile::tempdir().expect("tempdir");
        let secret = seed_hex(&alice());
        // Truncated JSON, a secret of the wrong type, and one of the wrong shape: serde_json
        // would quote the offending value in each case.
        let cases = [
            format!("{{\"secretSeed\": \"0x{secret}\", "),
            format!("{{\"secretSeed\": [\"0x{secret}\"]}}"),
            format!("[\"0x{secret}\"]"),
            format!("0x{secret}"),
            format!("{{\"secretSeed\": \"0x{secret}\" \"x\"}}"),
        ];
        for contents in cases {
            let path = put(&dir, contents.as_bytes());
            let err = load_hotkey_file(&path).expect_err("malformed");
            assert!(matches!(err, WalletError::Malformed { .. }), "{err:?}");
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains(&secret[..16]), "{shown}");
        }
    }

    #[test]
    fn invalid_secrets_are_malformed_without_echoing_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cases = [
            (
                r#"{"secretSeed": "0xabcdef0123456789"}"#,
                "abcdef0123456789",
            ),
            (
                r#"{"secretPhrase": "bottom drive obey lake curtain smoke basket hold race lonely fit axonite"}"#,
                "lonely fit",
            ),
        ];
        for (contents, secret) in cases {
            let path = put(&dir, contents.as_bytes());
            let err = load_hotkey_file(&path).expect_err("invalid secret");
            assert!(matches!(err, WalletError::Malformed { .. }), "{err:?}");
            assert!(!format!("{err} {err:?}").contains(secret));
        }
    }

    #[test]
    fn file_without_a_secret_is_malformed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let private = hex::encode(alice().pair().to_raw_vec());
        let contents = format!(
            r#"{{"accountId": null, "privateKey": "0x{private}", "secretPhrase": null, "secretSeed": null, "ss58Address": "{ALICE_SS58}"}}"#
        );
        let path = put(&dir, contents.as_bytes());
        let err = load_hotkey_file(&path).expect_err("no secret");
        assert_eq!(
            err,
            WalletError::Malformed {
                path,
                reason: "no secretSeed or secretPhrase".into()
            }
        );
        assert!(!err.to_string().contains(&private[..16]));
    }

    #[test]
    fn oversized_file_is_malformed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut contents = b"{\"pad\": \"".to_vec();
        contents.resize(MAX_KEYFILE_LEN as usize + 10, b'a');
        let path = put(&dir, &contents);
        assert!(matches!(
            load_hotkey_file(&path),
            Err(WalletError::Malformed { .. })
        ));
    }

    #[test]
    fn address_mismatch_is_detected() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bob = Keypair::from_dev_uri("//Bob")
            .expect("valid")
            .hotkey()
            .to_ss58();
        let contents = format!(
            r#"{{"secretSeed": "0x{}", "ss58Address": "{bob}"}}"#,
            seed_hex(&alice())
        );
        let path = put(&dir, contents.as_bytes());
        let err = load_hotkey_file(&path).expect_err("mismatch");
        assert_eq!(
            err,
            WalletError::AddressMismatch {
                path,
                expected: bob,
                derived: ALICE_SS58.into()
            }
        );
    }

    #[test]
    fn invalid_address_in_file_is_malformed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let contents = format!(
            r#"{{"secretSeed": "0x{}", "ss58Address": "not-an-address"}}"#,
            seed_hex(&alice())
        );
        let path = put(&dir, contents.as_bytes());
        assert!(matches!(
            load_hotkey_file(&path),
            Err(WalletError::Malformed { .. })
        ));
    }

    #[test]
    fn file_with_only_a_secret_phrase_loads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (pair, phrase, _) = sr25519::Pair::generate_with_phrase(None);
        let contents = serde_json::json!({ "secretPhrase": phrase }).to_string();
        let path = put(&dir, contents.as_bytes());
        let loaded = load_hotkey_file(&path).expect("load");
        assert_eq!(loaded.pair().public(), pair.public());
    }

    #[test]
    fn seed_and_phrase_that_disagree_are_malformed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (_, phrase, _) = sr25519::Pair::generate_with_phrase(None);
        let contents = serde_json::json!({
            "secretPhrase": phrase,
            "secretSeed": format!("0x{}", seed_hex(&alice())),
        })
        .to_string();
        let path = put(&dir, contents.as_bytes());
        let err = load_hotkey_file(&path).expect_err("disagree");
        assert!(matches!(err, WalletError::Malformed { .. }));
        let shown = err.to_string();
        assert!(!shown.contains(phrase.split(' ').next().unwrap_or("")));
    }

    #[test]
    fn python_sdk_keyfile_loads() {
        // The shape `json.dumps` gives in the Python SDK: spaces after separators, fields in
        // this order, the phrase kept.
        let dir = tempfile::tempdir().expect("tempdir");
        let (pair, phrase, seed) = sr25519::Pair::generate_with_phrase(None);
        let public = hex::encode(pair.public().0);
        let contents = format!(
            "{{\"accountId\": \"0x{public}\", \"publicKey\": \"0x{public}\", \"privateKey\": \"0x{}\", \"secretPhrase\": \"{phrase}\", \"secretSeed\": \"0x{}\", \"ss58Address\": \"{}\"}}",
            hex::encode(pair.to_raw_vec()),
            hex::encode(seed),
            Hotkey::from_bytes(pair.public().0),
        );
        let path = put(&dir, contents.as_bytes());
        let loaded = load_hotkey_file(&path).expect("load");
        assert_eq!(loaded.pair().public(), pair.public());
    }

    #[test]
    fn tilde_root_is_expanded_to_home() {
        let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) else {
            return;
        };
        let loc = WalletLocation::new("~/.bittensor/wallets", "w", "h");
        assert_eq!(
            loc.hotkey_file(),
            PathBuf::from(home).join(".bittensor/wallets/w/hotkeys/h")
        );
    }

    #[test]
    fn error_messages_never_contain_the_seed() {
        let kp = alice();
        let secret = seed_hex(&kp);
        let path = PathBuf::from("/w/miner/hotkeys/default");
        let errors = [
            WalletError::NotFound { path: path.clone() },
            WalletError::PasswordRequired {
                path: path.clone(),
                env_var: password_env_var(&path),
            },
            WalletError::WrongPassword { path: path.clone() },
            WalletError::AddressMismatch {
                path: path.clone(),
                expected: ALICE_SS58.into(),
                derived: kp.hotkey().to_ss58(),
            },
        ];
        for err in errors {
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains(&secret));
        }
        for err in [
            Keypair::from_seed_hex(&secret[..60]).expect_err("short"),
            Keypair::from_phrase(&secret).expect_err("not a phrase"),
            Keypair::from_dev_uri(&secret).expect_err("not a URI"),
            Hotkey::from_ss58(&secret).expect_err("not ss58"),
        ] {
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains(&secret[..16]), "{shown}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn arbitrary_keyfile_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            if let Ok(Keyfile::Json(json)) = classify(Path::new("k"), &bytes) {
                let _ = parse_json_keyfile(Path::new("k"), json);
            }
        }

        #[test]
        fn arbitrary_json_strings_in_secret_fields_never_panic(seed in ".{0,80}", phrase in ".{0,80}") {
            let contents = serde_json::json!({ "secretSeed": seed, "secretPhrase": phrase }).to_string();
            let _ = parse_json_keyfile(Path::new("k"), contents.as_bytes());
        }
    }
}
