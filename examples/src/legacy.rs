//! Two synapses shaped like the bittensor SDK's, for the legacy HTTP path: the same handler
//! answers Axonite validators over QUIC and Python dendrites over HTTP. Their Python classes
//! are in `tests/python/synapses.py`; the interop tests check both sides agree.

use axonite::legacy::LegacySynapse;
use axonite::{Admission, Handler, HandlerError, RequestContext, Synapse};
use serde::{Deserialize, Serialize};

/// The SDK's test synapse: `dummy_input: int`, answered with `dummy_output = 2 * input`.
/// No `required_hash_fields`, as in the SDK.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dummy {
    /// The number to double.
    pub dummy_input: i64,
}

/// The answer to [`Dummy`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DummyOutput {
    /// `2 * dummy_input`; `None` until a miner answers.
    pub dummy_output: Option<i64>,
}

impl Synapse for Dummy {
    const NAME: &'static str = "Dummy";
    type Response = DummyOutput;
}

impl LegacySynapse for Dummy {}

/// A synapse whose request fields are all signed (`required_hash_fields`): a list, a string
/// and a float, so the body hash exercises Python's `str()` of each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summation {
    /// The numbers to add.
    pub values: Vec<i64>,
    /// Returned as `echo`.
    pub label: String,
    /// Multiplies the sum.
    pub scale: f64,
}

/// The answer to [`Summation`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummationOutput {
    /// `sum(values) * scale`.
    pub total: Option<f64>,
    /// The request's `label`.
    pub echo: Option<String>,
}

impl Synapse for Summation {
    const NAME: &'static str = "Summation";
    type Response = SummationOutput;
}

impl LegacySynapse for Summation {
    const REQUIRED_HASH_FIELDS: &'static [&'static str] = &["values", "label", "scale"];
}

/// A miner answering [`Dummy`] and [`Summation`].
#[derive(Debug, Clone, Default)]
pub struct LegacyMiner;

impl Admission<Dummy> for LegacyMiner {}

impl Handler<Dummy> for LegacyMiner {
    async fn forward(
        &self,
        _ctx: &RequestContext,
        request: Dummy,
    ) -> Result<DummyOutput, HandlerError> {
        let doubled = request
            .dummy_input
            .checked_mul(2)
            .ok_or_else(|| HandlerError::new("dummy_input * 2 overflows"))?;
        Ok(DummyOutput {
            dummy_output: Some(doubled),
        })
    }
}

impl Admission<Summation> for LegacyMiner {}

impl Handler<Summation> for LegacyMiner {
    async fn forward(
        &self,
        _ctx: &RequestContext,
        request: Summation,
    ) -> Result<SummationOutput, HandlerError> {
        // Summed as floats, like Python's `sum(values) * scale` on these magnitudes.
        let sum: f64 = request.values.iter().map(|v| *v as f64).sum();
        Ok(SummationOutput {
            total: Some(sum * request.scale),
            echo: Some(request.label),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_python_shaped_bodies_decode_and_answers_lay_over_them() {
        let body = br#"{"name":"Summation","timeout":12.0,"values":[1,2,3],"label":"x",
            "scale":0.5,"total":null,"echo":null,"axon":{},"dendrite":{}}"#;
        let request = Summation::from_legacy_json(body).unwrap();
        assert_eq!(request.values, vec![1, 2, 3]);
        let fields = Summation::response_fields(&SummationOutput {
            total: Some(3.0),
            echo: Some("x".into()),
        })
        .unwrap();
        assert_eq!(fields["total"], 3.0);
        assert_eq!(fields["echo"], "x");
    }
}
