//! Tests of loading and writing hotkey files.

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
    let err =
        load_with_host(&path, &PasswordSource::EnvThenPrompt, &headless()).expect_err("encrypted");
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
