//! Keyfiles, variable names and values made by the real Python SDK (`bittensor-wallet`), read
//! back here. `framework/tests/data/wallet/make_vectors.py` made them and says which version.
//!
//! Each test that decrypts runs the SDK's Argon2i over 512 MiB (about a second with the
//! optimised `argon2` build of the dev profile): only three tests do.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use super::*;
use crate::identity::{Password, password_env_value};

const NACL_HOTKEY: &[u8] = include_bytes!("../../../tests/data/wallet/nacl-hotkey");
const PLAIN_HOTKEY: &[u8] = include_bytes!("../../../tests/data/wallet/plain-hotkey");
const ED25519_HOTKEY: &[u8] = include_bytes!("../../../tests/data/wallet/ed25519-hotkey");
const VECTORS: &str = include_str!("../../../tests/data/wallet/vectors.json");

fn vectors() -> serde_json::Value {
    serde_json::from_str(VECTORS).expect("vectors.json is JSON")
}

fn text<'a>(value: &'a serde_json::Value, key: &str) -> &'a str {
    value[key].as_str().expect("a string field")
}

/// Writes `contents` as hotkey `default` of wallet `sdk` under `dir`.
fn put(dir: &tempfile::TempDir, contents: &[u8]) -> (WalletLocation, PathBuf) {
    let location = WalletLocation::new(dir.path(), "sdk", "default");
    let path = location.hotkey_file();
    fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
    fs::write(&path, contents).expect("write");
    (location, path)
}

/// A host with no terminal whose environment holds at most `var` = `value`.
fn host_with<'a>(var: &'a str, value: Option<&'a str>) -> Host<'a> {
    Host {
        var: Box::new(move |name: &str| value.filter(|_| name == var).map(OsString::from)),
        interactive: false,
        prompt: Box::new(|_| panic!("must not prompt")),
    }
}

fn given(password: &str) -> PasswordSource {
    PasswordSource::Given(Password::new(password))
}

#[test]
fn sdk_encrypted_hotkey_decrypts_with_the_password_from_its_env_variable() {
    let v = vectors();
    let dir = tempfile::tempdir().expect("tempdir");
    let (location, path) = put(&dir, NACL_HOTKEY);
    let var = location.password_env_var();
    let value = password_env_value(&var, &Password::new(text(&v, "password")));
    let loaded = load_with_host(
        &path,
        &PasswordSource::EnvThenPrompt,
        &host_with(&var, Some(&value)),
    )
    .expect("decrypts");

    assert_eq!(loaded.hotkey().to_ss58(), text(&v, "ss58"));
    assert_eq!(
        format!("0x{}", hex::encode(loaded.hotkey().as_bytes())),
        text(&v, "public_key")
    );
    // The same key as the SDK's unencrypted file of the same mnemonic, seed included.
    let plain: serde_json::Value = serde_json::from_slice(PLAIN_HOTKEY).expect("json");
    assert_eq!(
        format!("0x{}", hex::encode(loaded.seed())),
        text(&plain, "secretSeed")
    );
}

#[test]
fn sdk_encrypted_hotkey_decrypts_with_a_given_password() {
    let v = vectors();
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, path) = put(&dir, NACL_HOTKEY);
    // The given password wins over a variable holding a wrong one.
    let loaded = load_with_host(
        &path,
        &given(text(&v, "password")),
        &host_with("BT_PW_ANY", Some("%%%")),
    )
    .expect("decrypts");
    assert_eq!(loaded.hotkey().to_ss58(), text(&v, "ss58"));
}

#[test]
fn wrong_password_is_wrong_password_and_is_never_shown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, path) = put(&dir, NACL_HOTKEY);
    let wrong = "axonite vector passwore";
    let err = load_with_host(&path, &given(wrong), &host_with("", None)).expect_err("wrong");
    assert_eq!(err, WalletError::WrongPassword { path: path.clone() });
    let shown = format!("{err} {err:?}");
    assert!(shown.contains(&path.display().to_string()));
    assert!(!shown.contains(wrong), "{shown}");
}

#[test]
fn damaged_sdk_file_is_a_typed_error_never_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases: [(&str, Vec<u8>); 4] = [
        ("prefix only", b"$NACL".to_vec()),
        ("nonce only", NACL_HOTKEY[..5 + 24].to_vec()),
        (
            "one byte short of a tag",
            NACL_HOTKEY[..5 + 24 + 15].to_vec(),
        ),
        ("no prefix", NACL_HOTKEY[5..].to_vec()),
    ];
    for (case, contents) in cases {
        let (_, path) = put(&dir, &contents);
        let err =
            load_with_host(&path, &given("unused"), &host_with("", None)).expect_err("damaged");
        assert!(
            matches!(err, WalletError::Malformed { .. }),
            "{case}: {err:?}"
        );
    }
}

#[test]
fn env_variable_names_match_the_sdk() {
    let v = vectors();
    for case in v["env_names"].as_array().expect("env_names") {
        assert_eq!(
            password_env_var(Path::new(text(case, "path"))),
            text(case, "name")
        );
    }
    for case in v["wallet_env_names"].as_array().expect("wallet_env_names") {
        let location = WalletLocation::new(
            text(case, "root"),
            text(case, "wallet"),
            text(case, "hotkey"),
        );
        assert_eq!(location.password_env_var(), text(case, "name"));
    }
}

#[test]
fn env_variable_values_match_the_sdk() {
    let v = vectors();
    let var = password_env_var(Path::new(text(&v, "env_value_path")));
    for case in v["env_values"].as_array().expect("env_values") {
        let password = text(case, "password");
        let value = password_env_value(&var, &Password::new(password));
        assert_eq!(&*value, text(case, "value"));
        let host = host_with(&var, Some(text(case, "value")));
        let read = password::resolve(
            &PasswordSource::Env,
            Path::new(text(&v, "env_value_path")),
            &host,
        )
        .expect("reads the SDK's value");
        assert_eq!(read.as_bytes(), password.as_bytes());
    }
}

#[test]
fn sdk_plain_hotkey_with_a_crypto_type_loads() {
    let v = vectors();
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, path) = put(&dir, PLAIN_HOTKEY);
    let loaded =
        load_with_host(&path, &PasswordSource::EnvThenPrompt, &host_with("", None)).expect("loads");
    assert_eq!(loaded.hotkey().to_ss58(), text(&v, "ss58"));
}

#[test]
fn sdk_ed25519_hotkey_is_refused_by_key_type() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, path) = put(&dir, ED25519_HOTKEY);
    assert_eq!(
        load_hotkey_file(&path).map(|k| k.hotkey()),
        Err(WalletError::UnsupportedKeyType {
            path,
            crypto_type: 0
        })
    );
}
