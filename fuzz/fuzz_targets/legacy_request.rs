//! A legacy HTTP request as the miner's axon sees it: the path, header lines and body a
//! bittensor 10 dendrite or a btauth/1 client sends, all peer bytes. Path and headers are
//! parsed under the default limits, the signature and freshness checked, the body hashed with
//! Python's `str()` of its fields and decoded as a synapse; btauth/1 verifies the same bytes.
//! Everything must end in a value or a typed error.
//!
//! Input: `<path>\n<name>: <value>\n...\n\n<body>` (text up to the blank line; the body is
//! any bytes).
#![no_main]

use axonite::legacy::{
    BtAuthConfig, BtAuthVerifier, FreshnessConfig, HeaderLimits, LegacyRequest, LegacySynapse,
    LegacyVerifier, PyValue, body_hash, synapse_name_from_path,
};
use axonite_fuzz::fixtures::{NOW_MS, miner};
use libfuzzer_sys::fuzz_target;
use serde::{Deserialize, Serialize};

/// A synapse with every JSON shape the body hash meets: list, string, float.
#[derive(Serialize, Deserialize)]
struct Summation {
    values: Vec<i64>,
    label: String,
    scale: f64,
}

#[derive(Serialize, Deserialize)]
struct SummationOutput {
    total: Option<f64>,
}

impl axonite::Synapse for Summation {
    const NAME: &'static str = "Summation";
    type Response = SummationOutput;
}

impl LegacySynapse for Summation {
    const REQUIRED_HASH_FIELDS: &'static [&'static str] = &["values", "label", "scale"];
}

const NOW_NS: u64 = NOW_MS * 1_000_000;

fuzz_target!(|data: &[u8]| {
    let split = data
        .windows(2)
        .position(|w| w == b"\n\n")
        .unwrap_or(data.len());
    let (head, body) = data.split_at(split);
    let body = body.get(2..).unwrap_or(&[]);
    let Ok(head) = std::str::from_utf8(head) else {
        return;
    };
    let mut lines = head.split('\n');
    let path = lines.next().unwrap_or("");
    let headers: Vec<(&str, &str)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim(), value.trim()))
        .collect();

    let own = miner().hotkey();
    if let Ok(name) = synapse_name_from_path(path)
        && let Ok(request) = LegacyRequest::parse(name, &headers, &HeaderLimits::default())
    {
        let verifier = LegacyVerifier::new(own, FreshnessConfig::default(), 64);
        let _ = verifier.verify(&request, body, Summation::REQUIRED_HASH_FIELDS, NOW_NS);
    }
    let _ = body_hash(body, Summation::REQUIRED_HASH_FIELDS);
    if let Ok(value) = PyValue::from_json(body) {
        let _ = value.python_str();
    }
    if let Ok(request) = Summation::from_legacy_json(body) {
        let _ = request.request_fields();
    }
    let btauth = BtAuthVerifier::new(own, BtAuthConfig::default());
    let _ = btauth.verify(&headers, body, "POST", path, NOW_NS);
});
