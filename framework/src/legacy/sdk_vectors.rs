//! Values, hashes and signed requests made by the real bittensor 10.5.0 SDK, checked here.
//! `framework/tests/data/legacy/make_vectors.py` made them and says how to re-run it.

use serde_json::Value;

use super::*;
use crate::identity::{Hotkey, Keypair};

const VECTORS: &str = include_str!("../../tests/data/legacy/vectors.json");
const MS: u64 = 1_000_000;

fn vectors() -> Value {
    serde_json::from_str(VECTORS).expect("vectors.json is JSON")
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().expect("a string field")
}

fn bob() -> Hotkey {
    Keypair::from_dev_uri("//Bob").expect("dev uri").hotkey()
}

struct Case {
    request: LegacyRequest,
    body: String,
    fields: Vec<String>,
    vector: Value,
}

impl Case {
    fn fields(&self) -> Vec<&str> {
        self.fields.iter().map(String::as_str).collect()
    }

    fn nonce(&self) -> u64 {
        self.request.dendrite.nonce
    }
}

fn cases() -> Vec<Case> {
    let v = vectors();
    v["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .map(|r| {
            let headers: Vec<(String, String)> =
                serde_json::from_value(r["headers"].clone()).expect("header pairs");
            let request =
                LegacyRequest::parse(text(r, "synapse"), &headers, &HeaderLimits::default())
                    .expect("SDK headers parse");
            Case {
                request,
                body: text(r, "body").to_owned(),
                fields: serde_json::from_value(r["required_hash_fields"].clone()).expect("fields"),
                vector: r.clone(),
            }
        })
        .collect()
}

#[test]
fn legacy_python_str_matches_the_sdk() {
    let v = vectors();
    for case in v["python_str"].as_array().expect("cases") {
        let value = PyValue::from_json(text(case, "json").as_bytes()).expect("valid JSON");
        let s = value.python_str();
        assert_eq!(s, text(case, "str"), "str() of {}", text(case, "json"));
        let inner = <sha3::Sha3_256 as sha3::Digest>::digest(s.as_bytes());
        assert_eq!(hex::encode(inner), text(case, "sha3"));
    }
}

#[test]
fn legacy_float_repr_matches_the_sdk() {
    let v = vectors();
    for case in v["float_repr"].as_array().expect("floats") {
        let mut bits = [0u8; 8];
        hex::decode_to_slice(text(case, "bits"), &mut bits).expect("8 bytes");
        let f = f64::from_be_bytes(bits);
        assert_eq!(python_float_repr(f), text(case, "repr"), "{f:e}");
    }
}

#[test]
fn legacy_empty_body_hash_matches_the_sdk() {
    let v = vectors();
    assert_eq!(text(&v, "empty_body_hash"), EMPTY_BODY_HASH);
}

#[test]
fn legacy_sdk_requests_parse_hash_and_verify() {
    for case in cases() {
        let r = &case.request;
        assert_eq!(
            r.dendrite.hotkey_ss58,
            text(&case.vector, "dendrite_hotkey")
        );
        assert_eq!(r.dendrite.uuid, text(&case.vector, "uuid"));
        assert_eq!(r.dendrite.version, case.vector["dendrite_version"].as_u64());
        assert_eq!(r.timeout, case.vector["timeout"].as_f64());
        let hash = body_hash(case.body.as_bytes(), &case.fields()).expect("hash");
        assert_eq!(hash, text(&case.vector, "body_hash"));
        assert_eq!(hash, r.computed_body_hash);
        let message = signing_message(
            r.dendrite.nonce,
            &r.dendrite.hotkey_ss58,
            &bob().to_ss58(),
            &r.dendrite.uuid,
            &hash,
        );
        assert_eq!(message, text(&case.vector, "message"));
        let verifier = LegacyVerifier::new(bob(), FreshnessConfig::default(), 16);
        let now = case.nonce() + 5 * MS;
        verifier
            .verify(r, case.body.as_bytes(), &case.fields(), now)
            .expect("SDK request verifies");
        assert_eq!(
            verifier.verify(r, case.body.as_bytes(), &case.fields(), now + MS),
            Err(LegacyError::Replayed)
        );
    }
}

#[test]
fn legacy_sdk_request_to_another_axon_does_not_verify() {
    let alice = Keypair::from_dev_uri("//Alice").expect("dev uri").hotkey();
    for case in cases() {
        let verifier = LegacyVerifier::new(alice, FreshnessConfig::default(), 16);
        let err = verifier
            .verify(
                &case.request,
                case.body.as_bytes(),
                &case.fields(),
                case.nonce(),
            )
            .expect_err("signed for Bob");
        assert_eq!(err, LegacyError::BadSignature);
        assert_eq!(err.status().0, 401);
    }
}

#[test]
fn legacy_stale_or_future_sdk_request_is_refused() {
    for case in cases() {
        let verifier = LegacyVerifier::new(bob(), FreshnessConfig::default(), 16);
        let late = case.nonce() + 17_000 * MS; // 4 s + the 12 s timeout, and then some
        assert!(matches!(
            verifier.verify(&case.request, case.body.as_bytes(), &case.fields(), late),
            Err(LegacyError::Stale { .. })
        ));
        let early = case.nonce() - 3_000 * MS;
        assert!(matches!(
            verifier.verify(&case.request, case.body.as_bytes(), &case.fields(), early),
            Err(LegacyError::FromTheFuture { .. })
        ));
        // Refused requests are not recorded: the genuine one still passes.
        verifier
            .verify(
                &case.request,
                case.body.as_bytes(),
                &case.fields(),
                case.nonce(),
            )
            .expect("fresh");
    }
}

#[test]
fn legacy_tampered_sdk_requests_are_refused() {
    for case in cases() {
        let verifier = LegacyVerifier::new(bob(), FreshnessConfig::default(), 16);
        let now = case.nonce();
        // A hashed field changed in the body: 400, before the signature is looked at.
        if !case.fields.is_empty() {
            let body: Value = serde_json::from_str(&case.body).expect("body");
            let mut tampered = body.clone();
            tampered["temperature"] = Value::from(9.5);
            let tampered = serde_json::to_vec(&tampered).expect("json");
            let err = verifier
                .verify(&case.request, &tampered, &case.fields(), now)
                .expect_err("tampered body");
            assert_eq!(err, LegacyError::BodyHashMismatch);
            assert_eq!(err.status().0, 400);
        }
        // A signed header changed: the signature no longer verifies.
        let mut r = case.request.clone();
        r.dendrite.nonce += 1;
        assert_eq!(
            verifier.verify(&r, case.body.as_bytes(), &case.fields(), now),
            Err(LegacyError::BadSignature)
        );
        let mut r = case.request.clone();
        r.dendrite.signature[3] ^= 1;
        assert_eq!(
            verifier.verify(&r, case.body.as_bytes(), &case.fields(), now),
            Err(LegacyError::BadSignature)
        );
    }
}

#[test]
fn legacy_rust_signed_request_verifies_like_an_sdk_one() {
    let alice = Keypair::from_dev_uri("//Alice").expect("dev uri");
    for case in cases() {
        let r = &case.request;
        let mut mine = r.clone();
        let nonce = r.dendrite.nonce + 1;
        mine.dendrite.nonce = nonce;
        let signature = sign_request(
            &alice,
            nonce,
            &bob(),
            &r.dendrite.uuid,
            &r.computed_body_hash,
        );
        assert!(signature.starts_with("0x") && signature.len() == 130);
        mine.dendrite.signature = parse_signature(&signature).expect("hex");
        let verifier = LegacyVerifier::new(bob(), FreshnessConfig::default(), 16);
        verifier
            .verify(&mine, case.body.as_bytes(), &case.fields(), nonce)
            .expect("rust-signed request verifies");
    }
}

/// The headers a response vector has, minus the sizes and hash the dendrite ignores.
fn sdk_headers(response: &Value) -> Vec<(String, String)> {
    let headers: Vec<(String, String)> =
        serde_json::from_value(response["headers"].clone()).expect("header pairs");
    headers
        .into_iter()
        .filter(|(n, _)| {
            !matches!(
                n.as_str(),
                "content-length" | "header_size" | "total_size" | "computed_body_hash"
            )
        })
        .collect()
}

fn sorted(mut h: Vec<(String, String)>) -> Vec<(String, String)> {
    h.sort();
    h
}

#[test]
fn legacy_success_response_matches_the_sdk_axon() {
    let v = vectors();
    let sdk = &v["responses"][0];
    assert_eq!(sdk["status"], 200);
    let sdk_body: serde_json::Map<String, Value> =
        serde_json::from_str(text(sdk, "body")).expect("object");
    let mut axon: TerminalInfo = serde_json::from_value(sdk_body["axon"].clone()).expect("axon");
    let dendrite: TerminalInfo =
        serde_json::from_value(sdk_body["dendrite"].clone()).expect("dendrite");
    // The handler's view: the request without the axon's answer, and the fields it set.
    let mut request = sdk_body.clone();
    request.insert("axon".into(), Value::Null);
    request.insert("prompt".into(), Value::from("before"));
    let request = serde_json::to_vec(&request).expect("json");
    let mut fields = serde_json::Map::new();
    fields.insert("prompt".into(), sdk_body["prompt"].clone());
    axon.status_code = None;
    axon.status_message = None;

    let ours = LegacyResponse::success("Hashed", Some(12.0), &request, fields, axon, &dendrite)
        .expect("response");
    assert_eq!(ours.status, crate::protocol::StatusCode::OK);
    assert_eq!(sorted(ours.headers), sorted(sdk_headers(sdk)));
    let ours: Value = serde_json::from_slice(&ours.body).expect("json");
    assert_eq!(ours, Value::Object(sdk_body));
}

#[test]
fn legacy_error_response_matches_the_sdk_axon() {
    let v = vectors();
    let sdk = &v["responses"][1];
    let message = "Not Verified with error: bad";
    let axon = TerminalInfo {
        hotkey: Some(bob().to_ss58()),
        ..TerminalInfo::default()
    };
    let ours = LegacyResponse::error(
        crate::protocol::StatusCode(401),
        message,
        "Plain",
        Some(12.0),
        axon,
        &TerminalInfo::default(),
    );
    assert_eq!(Some(u64::from(ours.status.0)), sdk["status"].as_u64());
    assert_eq!(
        String::from_utf8(ours.body).expect("utf-8"),
        text(sdk, "body")
    );
    assert_eq!(sorted(ours.headers), sorted(sdk_headers(sdk)));
}

#[test]
fn legacy_refusals_become_sdk_shaped_errors() {
    let r = LegacyResponse::refused(
        &LegacyError::BodyHashMismatch,
        "Hashed",
        None,
        TerminalInfo::default(),
        &TerminalInfo::default(),
    );
    assert_eq!(r.status.0, 400);
    let body: Value = serde_json::from_slice(&r.body).expect("json");
    assert_eq!(body["message"], LegacyError::BodyHashMismatch.to_string());
    assert!(
        r.headers
            .contains(&("bt_header_axon_status_code".into(), "400".into()))
    );
    assert!(
        r.headers
            .contains(&("content-type".into(), "application/json".into()))
    );
}
