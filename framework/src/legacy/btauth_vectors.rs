//! btauth/1 requests signed by bittensor 11.3.0's real `http_auth`, checked here.
//! `framework/tests/data/legacy/make_btauth_vectors.py` made them and says how to re-run it.

use serde_json::Value;

use super::*;
use crate::identity::Keypair;

const VECTORS: &str = include_str!("../../tests/data/legacy/btauth_vectors.json");

struct Case {
    method: String,
    path: String,
    body: Vec<u8>,
    nonce: u64,
    headers: Vec<(String, String)>,
    payload: String,
    receiver: Option<String>,
}

fn cases() -> (Value, Vec<Case>) {
    let v: Value = serde_json::from_str(VECTORS).expect("JSON");
    let cases = v["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .map(|r| Case {
            method: r["method"].as_str().expect("method").to_owned(),
            path: r["path"].as_str().expect("path").to_owned(),
            body: hex::decode(r["body_hex"].as_str().expect("body")).expect("hex"),
            nonce: r["nonce"].as_u64().expect("nonce"),
            headers: serde_json::from_value(r["headers"].clone()).expect("headers"),
            payload: r["payload"].as_str().expect("payload").to_owned(),
            receiver: r["receiver"].as_str().map(str::to_owned),
        })
        .collect();
    (v, cases)
}

fn bob() -> crate::identity::Hotkey {
    Keypair::from_dev_uri("//Bob").expect("dev uri").hotkey()
}

fn lax() -> BtAuthVerifier {
    BtAuthVerifier::new(
        bob(),
        BtAuthConfig {
            require_receiver: false,
            ..BtAuthConfig::default()
        },
    )
}

#[test]
fn legacy_btauth_payload_matches_the_sdk_byte_for_byte() {
    let (v, cases) = cases();
    let sender = v["sender"].as_str().expect("sender");
    for c in &cases {
        let payload = btauth_payload(
            &c.method,
            &c.path,
            &c.body,
            c.nonce,
            sender,
            c.receiver.as_deref(),
        );
        assert_eq!(String::from_utf8(payload).expect("utf-8"), c.payload);
    }
}

#[test]
fn legacy_btauth_sdk_requests_verify_and_their_replay_is_refused() {
    let (_, cases) = cases();
    let v = lax();
    for c in &cases {
        let caller = v
            .verify(&c.headers, &c.body, &c.method, &c.path, c.nonce + 1_000_000)
            .expect("SDK-signed request verifies");
        assert_eq!(caller.nonce, c.nonce);
        assert_eq!(
            caller.hotkey.to_ss58(),
            "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
        );
        assert_eq!(
            v.verify(&c.headers, &c.body, &c.method, &c.path, c.nonce + 2_000_000),
            Err(BtAuthError::Replayed)
        );
    }
}

#[test]
fn legacy_btauth_sdk_requests_fail_when_tampered_or_misaddressed() {
    let (_, cases) = cases();
    for c in &cases {
        let v = lax();
        let mut body = c.body.clone();
        body.push(b'!');
        assert_eq!(
            v.verify(&c.headers, &body, &c.method, &c.path, c.nonce),
            Err(BtAuthError::BadSignature)
        );
        let strict = BtAuthVerifier::new(bob(), BtAuthConfig::default());
        let alice = BtAuthVerifier::new(
            Keypair::from_dev_uri("//Alice").expect("dev uri").hotkey(),
            BtAuthConfig::default(),
        );
        if c.receiver.is_some() {
            strict
                .verify(&c.headers, &c.body, &c.method, &c.path, c.nonce)
                .expect("bound to Bob");
        } else {
            assert_eq!(
                strict.verify(&c.headers, &c.body, &c.method, &c.path, c.nonce),
                Err(BtAuthError::WrongReceiver)
            );
        }
        assert_eq!(
            alice.verify(&c.headers, &c.body, &c.method, &c.path, c.nonce),
            Err(BtAuthError::WrongReceiver)
        );
    }
}

#[test]
fn legacy_btauth_rust_signed_headers_have_the_sdk_shape() {
    let (_, cases) = cases();
    let alice = Keypair::from_dev_uri("//Alice").expect("dev uri");
    for c in &cases {
        let receiver = c.receiver.as_ref().map(|_| bob());
        let mine = btauth_sign(
            &alice,
            &c.method,
            &c.path,
            &c.body,
            receiver.as_ref(),
            c.nonce,
        );
        let names: Vec<&str> = mine.iter().map(|(n, _)| *n).collect();
        let sdk_names: Vec<&str> = c.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, sdk_names);
        for ((_, a), (name, b)) in mine.iter().zip(&c.headers) {
            if name != HEADER_SIGNATURE {
                assert_eq!(a, b, "{name}");
            }
        }
        lax()
            .verify(&mine, &c.body, &c.method, &c.path, c.nonce)
            .expect("verifies");
    }
}
