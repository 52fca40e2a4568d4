//! How a typed synapse maps to the SDK's synapse JSON, so the same handler answers QUIC and
//! legacy HTTP, and a validator can send the same request to a Python axon.
//!
//! In the SDK one pydantic object carries the request and the response: the dendrite sends
//! every field (the response fields still empty), and the axon answers the same object with
//! the response fields filled in. Axonite splits it in two types, so by default:
//! - the request is read from the synapse JSON with serde, ignoring the fields it does not
//!   know (response fields, `axon`, `dendrite`, `name`, ...);
//! - the response's fields are laid over the request's JSON in the answer;
//! - a client sends the request's fields and reads the response's fields back.
//!
//! Override the methods when the Python class is shaped differently.

use serde_json::{Map, Value};

use super::LegacyError;
use crate::synapse::Synapse;

/// A synapse that bittensor 10.x dendrites can call over HTTP (and an Axonite validator can
/// send to a Python axon). Field names are the Python class's field names.
///
/// ```
/// use axonite::Synapse;
/// use axonite::legacy::LegacySynapse;
/// use serde::{Deserialize, Serialize};
///
/// /// The SDK's `class Dummy(bt.Synapse): dummy_input: int; dummy_output: Optional[int]`.
/// #[derive(Serialize, Deserialize)]
/// struct Dummy { dummy_input: i64 }
/// #[derive(Serialize, Deserialize, Debug, PartialEq)]
/// struct DummyOut { dummy_output: Option<i64> }
/// impl Synapse for Dummy {
///     const NAME: &'static str = "Dummy";
///     type Response = DummyOut;
/// }
/// impl LegacySynapse for Dummy {
///     const REQUIRED_HASH_FIELDS: &'static [&'static str] = &["dummy_input"];
/// }
///
/// let request = Dummy::from_legacy_json(br#"{"name": "Dummy", "dummy_input": 3, "dummy_output": null}"#)?;
/// assert_eq!(request.dummy_input, 3);
/// let fields = Dummy::response_fields(&DummyOut { dummy_output: Some(6) })?;
/// assert_eq!(fields["dummy_output"], 6);
/// # Ok::<(), axonite::legacy::LegacyError>(())
/// ```
pub trait LegacySynapse: Synapse {
    /// The Python class name: the URL path `/<LEGACY_NAME>` and the `name` header.
    const LEGACY_NAME: &'static str = <Self as Synapse>::NAME;

    /// The Python class's `required_hash_fields`, in order: the fields whose values the
    /// dendrite's signature covers (through `computed_body_hash`).
    const REQUIRED_HASH_FIELDS: &'static [&'static str] = &[];

    /// Reads the typed request from a synapse JSON body. A body that does not decode is
    /// [`LegacyError::InvalidBody`] (400).
    fn from_legacy_json(body: &[u8]) -> Result<Self, LegacyError> {
        serde_json::from_slice(body).map_err(invalid_body)
    }

    /// The response's fields, laid over the request's JSON in the answer. The response must
    /// serialize to a JSON object.
    fn response_fields(response: &Self::Response) -> Result<Map<String, Value>, LegacyError> {
        object(serde_json::to_value(response).map_err(invalid_body)?)
    }

    /// The request's fields, as a client sends them (the SDK adds `name`, `timeout` and the
    /// terminals). The request must serialize to a JSON object.
    fn request_fields(&self) -> Result<Map<String, Value>, LegacyError> {
        object(serde_json::to_value(self).map_err(invalid_body)?)
    }

    /// Reads the response from an axon's answer body (the whole synapse JSON).
    fn response_from_legacy_json(body: &[u8]) -> Result<Self::Response, LegacyError> {
        serde_json::from_slice(body).map_err(invalid_body)
    }
}

fn invalid_body(e: serde_json::Error) -> LegacyError {
    // serde_json's message names the field and position, never the value.
    LegacyError::InvalidBody {
        reason: e.to_string(),
    }
}

fn object(value: Value) -> Result<Map<String, Value>, LegacyError> {
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(LegacyError::InvalidBody {
            reason: "a legacy synapse must be a JSON object (a struct with named fields)".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    use super::*;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Sum {
        values: Vec<i64>,
        label: String,
    }
    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct SumOut {
        total: Option<i64>,
    }
    impl Synapse for Sum {
        const NAME: &'static str = "Sum";
        type Response = SumOut;
    }
    impl LegacySynapse for Sum {
        const LEGACY_NAME: &'static str = "SumSynapse";
        const REQUIRED_HASH_FIELDS: &'static [&'static str] = &["values", "label"];
    }

    #[derive(Debug, Serialize, Deserialize)]
    struct Tuple(i64, i64);
    impl Synapse for Tuple {
        const NAME: &'static str = "Tuple";
        type Response = i64;
    }
    impl LegacySynapse for Tuple {}

    #[test]
    fn the_request_ignores_sdk_fields_and_the_response_fills_its_own() {
        let body = br#"{"name":"SumSynapse","timeout":12.0,"values":[1,2],"label":"x",
            "total":null,"axon":{},"dendrite":{"hotkey":"5F"},"computed_body_hash":""}"#;
        let request = Sum::from_legacy_json(body).unwrap();
        assert_eq!(
            request,
            Sum {
                values: vec![1, 2],
                label: "x".into()
            }
        );
        let fields = Sum::response_fields(&SumOut { total: Some(3) }).unwrap();
        assert_eq!(Value::Object(fields), serde_json::json!({ "total": 3 }));
        let answer = br#"{"values":[1,2],"label":"x","total":3,"axon":{"status_code":200}}"#;
        assert_eq!(
            Sum::response_from_legacy_json(answer).unwrap(),
            SumOut { total: Some(3) }
        );
        assert_eq!(Sum::LEGACY_NAME, "SumSynapse");
        assert_eq!(<Tuple as LegacySynapse>::LEGACY_NAME, "Tuple");
    }

    #[test]
    fn bad_bodies_and_non_object_types_are_typed_errors() {
        let wrong_type = Sum::from_legacy_json(br#"{"values":"no","label":"x"}"#);
        assert!(matches!(wrong_type, Err(LegacyError::InvalidBody { .. })));
        let missing = Sum::from_legacy_json(br#"{"values":[1]}"#);
        assert!(matches!(missing, Err(LegacyError::InvalidBody { .. })));
        assert!(matches!(
            Tuple(1, 2).request_fields(),
            Err(LegacyError::InvalidBody { .. })
        ));
        assert!(matches!(
            Tuple::response_fields(&5),
            Err(LegacyError::InvalidBody { .. })
        ));
        assert_eq!(
            Sum::from_legacy_json(b"{").unwrap_err().status(),
            crate::StatusCode::BAD_REQUEST
        );
    }
}
