//! A legacy request as the SDK's dendrite builds it: the whole synapse as JSON and the
//! `bt_header_*` headers, signed. Pure: the HTTP client sends what [`LegacyCall`] holds.

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Map, Value};

use super::body_hash::body_hash_of_dict;
use super::python_str::{PyValue, python_float_repr};
use super::signature::sign_request;
use super::{LegacyError, LegacySynapse};
use crate::identity::{Hotkey, Keypair};

/// The SDK version this client says it speaks (`bittensor.__version_as_int__` of 10.5.0).
pub const SDK_VERSION_AS_INT: u64 = 10_005_000;

/// One signed legacy request, ready to POST.
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyCall {
    /// `/<LEGACY_NAME>`.
    pub path: String,
    /// Header names and values, `content-type` included.
    pub headers: Vec<(String, String)>,
    /// The synapse JSON.
    pub body: Vec<u8>,
}

/// Who sends a legacy request and to whom.
#[derive(Debug, Clone, Copy)]
pub struct LegacyTarget<'a> {
    /// The axon's hotkey: the signature is bound to it.
    pub axon: &'a Hotkey,
    /// The axon's address (its `bt_header_axon_ip`/`port`).
    pub addr: SocketAddr,
    /// This dendrite's instance uuid (the nonce table is per hotkey and uuid).
    pub uuid: &'a str,
    /// Nanoseconds since the epoch; strictly increasing per uuid.
    pub nonce: u64,
    /// The dendrite's address as it reports it (`bt_header_dendrite_ip`).
    pub own_ip: &'a str,
}

impl LegacyCall {
    /// Builds the request for `request`, signed by `keypair`, with `timeout`.
    ///
    /// As the SDK's dendrite: the body is the request's fields plus `name`, `timeout`,
    /// `axon`, `dendrite` and `computed_body_hash`; each request field also travels as a
    /// `bt_header_input_obj_<field>` holding an empty value of its type (the axon builds a
    /// placeholder synapse from the headers before it reads the body).
    pub fn new<S: LegacySynapse>(
        request: &S,
        keypair: &Keypair,
        target: LegacyTarget<'_>,
        timeout: Duration,
    ) -> Result<Self, LegacyError> {
        let fields = request.request_fields()?;
        let hash = body_hash_of_dict(&py_dict(&fields)?, S::REQUIRED_HASH_FIELDS)?;
        let signature = sign_request(keypair, target.nonce, target.axon, target.uuid, &hash);
        let timeout_secs = timeout.as_secs_f64();
        let dendrite_hotkey = keypair.hotkey().to_ss58();
        let axon_hotkey = target.axon.to_ss58();
        let ip = target.addr.ip().to_string();
        let port = target.addr.port();

        let mut body = fields.clone();
        body.insert("name".into(), Value::from(S::LEGACY_NAME));
        body.insert("timeout".into(), Value::from(timeout_secs));
        body.insert(
            "axon".into(),
            serde_json::json!({ "ip": ip, "port": port, "hotkey": axon_hotkey }),
        );
        body.insert(
            "dendrite".into(),
            serde_json::json!({
                "ip": target.own_ip,
                "version": SDK_VERSION_AS_INT,
                "nonce": target.nonce,
                "uuid": target.uuid,
                "hotkey": dendrite_hotkey,
                "signature": signature,
            }),
        );
        body.insert("computed_body_hash".into(), Value::from(hash.clone()));
        let body = serde_json::to_vec(&body).map_err(|e| LegacyError::InvalidBody {
            reason: e.to_string(),
        })?;

        let mut headers = vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("name".to_owned(), S::LEGACY_NAME.to_owned()),
            ("timeout".to_owned(), python_float_repr(timeout_secs)),
            ("bt_header_axon_ip".to_owned(), ip),
            ("bt_header_axon_port".to_owned(), port.to_string()),
            ("bt_header_axon_hotkey".to_owned(), axon_hotkey),
            ("bt_header_dendrite_ip".to_owned(), target.own_ip.to_owned()),
            (
                "bt_header_dendrite_version".to_owned(),
                SDK_VERSION_AS_INT.to_string(),
            ),
            (
                "bt_header_dendrite_nonce".to_owned(),
                target.nonce.to_string(),
            ),
            ("bt_header_dendrite_uuid".to_owned(), target.uuid.to_owned()),
            ("bt_header_dendrite_hotkey".to_owned(), dendrite_hotkey),
            ("bt_header_dendrite_signature".to_owned(), signature),
        ];
        for (field, value) in &fields {
            headers.push((
                format!("bt_header_input_obj_{field}"),
                base64::engine::general_purpose::STANDARD.encode(empty_of(value)),
            ));
        }
        headers.push(("computed_body_hash".to_owned(), hash));
        Ok(Self {
            path: format!("/{}", S::LEGACY_NAME),
            headers,
            body,
        })
    }
}

/// The fields as Python's `json.loads` would see them, for the body hash.
fn py_dict(fields: &Map<String, Value>) -> Result<PyValue, LegacyError> {
    let text = serde_json::to_vec(fields).map_err(|e| LegacyError::InvalidBody {
        reason: e.to_string(),
    })?;
    PyValue::from_json(&text).map_err(|e| LegacyError::InvalidBody {
        reason: e.to_string(),
    })
}

/// `json.dumps(type(value)())`: the empty value of a field's type, as the SDK puts in
/// `bt_header_input_obj_*`.
fn empty_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "false",
        Value::Number(n) if n.is_f64() => "0.0",
        Value::Number(_) => "0",
        Value::String(_) => "\"\"",
        Value::Array(_) => "[]",
        Value::Object(_) => "{}",
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    use super::*;
    use crate::legacy::{FreshnessConfig, HeaderLimits, LegacyRequest, LegacyVerifier, now_ns};
    use crate::synapse::Synapse;

    #[derive(Serialize, Deserialize)]
    struct Sum {
        values: Vec<i64>,
        label: String,
        scale: f64,
    }
    #[derive(Serialize, Deserialize)]
    struct SumOut {
        total: Option<f64>,
    }
    impl Synapse for Sum {
        const NAME: &'static str = "Sum";
        type Response = SumOut;
    }
    impl LegacySynapse for Sum {
        const REQUIRED_HASH_FIELDS: &'static [&'static str] = &["values", "label", "scale"];
    }

    #[test]
    fn a_built_call_verifies_at_the_axon_and_a_changed_body_does_not() {
        let dendrite = Keypair::generate();
        let axon = Keypair::generate();
        let nonce = now_ns();
        let target = LegacyTarget {
            axon: &axon.hotkey(),
            addr: "127.0.0.1:8091".parse().unwrap(),
            uuid: "u-1",
            nonce,
            own_ip: "127.0.0.1",
        };
        let request = Sum {
            values: vec![1, 2],
            label: "x".into(),
            scale: 0.5,
        };
        let call = LegacyCall::new(&request, &dendrite, target, Duration::from_secs(12)).unwrap();
        assert_eq!(call.path, "/Sum");
        let parsed = LegacyRequest::parse("Sum", &call.headers, &HeaderLimits::default()).unwrap();
        assert_eq!(parsed.timeout, Some(12.0));
        let verifier = LegacyVerifier::new(axon.hotkey(), FreshnessConfig::default(), 16);
        verifier
            .verify(&parsed, &call.body, Sum::REQUIRED_HASH_FIELDS, now_ns())
            .unwrap();
        assert!(
            call.headers
                .iter()
                .any(|(k, v)| k == "bt_header_input_obj_values" && v == "W10=")
        );

        // Same headers, another label: the body hash no longer matches (400).
        let tampered = String::from_utf8(call.body.clone())
            .unwrap()
            .replace("\"label\":\"x\"", "\"label\":\"y\"");
        let verifier = LegacyVerifier::new(axon.hotkey(), FreshnessConfig::default(), 16);
        assert_eq!(
            verifier.verify(
                &parsed,
                tampered.as_bytes(),
                Sum::REQUIRED_HASH_FIELDS,
                now_ns()
            ),
            Err(LegacyError::BodyHashMismatch)
        );
    }
}
