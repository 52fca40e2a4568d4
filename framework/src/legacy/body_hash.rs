//! The legacy body hash: `sha3_256(concat(sha3_256(str(value)).hex() for each hashed field))`.
//!
//! A synapse lists the fields it protects in `required_hash_fields`; the dendrite signs the
//! hash of their values and sends it as `computed_body_hash`; the axon recomputes it from the
//! body. With no hashed fields the hash is `sha3_256("")`, so the signature covers nothing of
//! the body: that is the SDK's design, kept for compatibility.

use sha3::{Digest as _, Sha3_256};

use super::LegacyError;
use super::python_str::PyValue;

/// `sha3_256("")` in lowercase hex: the hash of a synapse without hashed fields.
pub const EMPTY_BODY_HASH: &str =
    "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a";

/// The body hash of these field values, in the order of `required_hash_fields`, as the SDK's
/// `Synapse.body_hash` computes it (lowercase hex).
pub fn body_hash_of<'a>(values: impl IntoIterator<Item = &'a PyValue>) -> String {
    let mut outer = Sha3_256::new();
    for value in values {
        let inner = Sha3_256::digest(value.python_str().as_bytes());
        outer.update(hex::encode(inner).as_bytes());
    }
    hex::encode(outer.finalize())
}

/// Parses a synapse body (a JSON object) and hashes its `hashed_fields`, in that order.
///
/// A body that is not a JSON object is [`LegacyError::InvalidBody`]; a hashed field absent
/// from it is [`LegacyError::MissingHashField`] (the SDK's dendrite always sends every field).
pub fn body_hash(body: &[u8], hashed_fields: &[&str]) -> Result<String, LegacyError> {
    let value = PyValue::from_json(body).map_err(|e| LegacyError::InvalidBody {
        reason: e.to_string(),
    })?;
    body_hash_of_dict(&value, hashed_fields)
}

/// Hashes `hashed_fields` of an already parsed body.
pub fn body_hash_of_dict(body: &PyValue, hashed_fields: &[&str]) -> Result<String, LegacyError> {
    if !matches!(body, PyValue::Dict(_)) {
        return Err(LegacyError::InvalidBody {
            reason: "not a JSON object".into(),
        });
    }
    let values = hashed_fields
        .iter()
        .map(|field| {
            body.get(field)
                .ok_or_else(|| LegacyError::MissingHashField {
                    field: (*field).to_owned(),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(body_hash_of(values))
}

/// Checks that `body` hashes to `claimed` (the `computed_body_hash` header). A mismatch is
/// [`LegacyError::BodyHashMismatch`] (400).
pub fn verify_body_hash(
    body: &[u8],
    hashed_fields: &[&str],
    claimed: &str,
) -> Result<(), LegacyError> {
    if body_hash(body, hashed_fields)? == claimed {
        Ok(())
    } else {
        Err(LegacyError::BodyHashMismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_hashed_fields_hash_the_empty_string() {
        assert_eq!(body_hash_of([]), EMPTY_BODY_HASH);
        assert_eq!(hex::encode(Sha3_256::digest(b"")), EMPTY_BODY_HASH);
        assert_eq!(body_hash(b"{\"x\": 1}", &[]), Ok(EMPTY_BODY_HASH.into()));
    }

    #[test]
    fn missing_field_and_non_object_body_are_errors() {
        assert_eq!(
            body_hash(b"{\"x\": 1}", &["y"]),
            Err(LegacyError::MissingHashField { field: "y".into() })
        );
        assert!(matches!(
            body_hash(b"[1]", &[]),
            Err(LegacyError::InvalidBody { .. })
        ));
        assert!(matches!(
            body_hash(b"{", &[]),
            Err(LegacyError::InvalidBody { .. })
        ));
    }

    #[test]
    fn floats_parse_to_the_value_python_parses() {
        // serde_json's default float parsing is off by one bit here (109951162777.7): the
        // hash of a float a Python dendrite signed would not match (found by a helper
        // against a real bittensor 10.5.0 axon). `float_roundtrip` parses it exactly.
        let body = br#"{"scale": 109951162777.70001}"#;
        let value = PyValue::from_json(body).unwrap();
        assert_eq!(
            value.get("scale").map(PyValue::python_str).as_deref(),
            Some("109951162777.70001")
        );
        assert_eq!(
            body_hash(body, &["scale"]).unwrap(),
            body_hash_of([&PyValue::Float(109_951_162_777.700_01)])
        );
    }

    #[test]
    fn a_changed_field_changes_the_hash() {
        let a = body_hash(br#"{"p": "a", "q": 1}"#, &["p"]).unwrap();
        let b = body_hash(br#"{"p": "b", "q": 1}"#, &["p"]).unwrap();
        let c = body_hash(br#"{"p": "a", "q": 2}"#, &["p"]).unwrap();
        assert_ne!(a, b);
        assert_eq!(a, c, "unhashed fields do not count");
        assert_eq!(
            verify_body_hash(br#"{"p": "b"}"#, &["p"], &a),
            Err(LegacyError::BodyHashMismatch)
        );
    }
}
