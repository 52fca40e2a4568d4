//! What a legacy axon answers: status, `bt_header_*` headers and a JSON body.
//!
//! The SDK's dendrite reads the body as JSON (so `content-type: application/json` is
//! required). On 200 it builds the synapse from the body and takes `axon.status_code` from
//! it and the headers; otherwise it reads `{"message": ...}` and the HTTP status. Both paths
//! merge the `bt_header_axon_*` / `bt_header_dendrite_*` headers into its terminal infos.

use serde::{Deserialize, Serialize};

use super::LegacyError;
use super::python_str::python_float_repr;
use crate::protocol::StatusCode;

/// Longest status message put in a header; longer ones are cut at a character boundary.
pub const MAX_STATUS_MESSAGE: usize = 1024;

/// The SDK's `TerminalInfo`: one side's view of a call. Absent fields are `null` in JSON and
/// left out of headers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TerminalInfo {
    /// HTTP status code of the call on this side.
    pub status_code: Option<u16>,
    /// Message that goes with the status.
    pub status_message: Option<String>,
    /// Seconds spent on this side.
    pub process_time: Option<f64>,
    /// IP address of the terminal.
    pub ip: Option<String>,
    /// Port of the terminal.
    pub port: Option<u16>,
    /// SDK version as an integer (`10005000`).
    pub version: Option<u64>,
    /// Nanosecond nonce.
    pub nonce: Option<u64>,
    /// Instance uuid.
    pub uuid: Option<String>,
    /// SS58 hotkey.
    pub hotkey: Option<String>,
    /// `0x` + hex signature.
    pub signature: Option<String>,
}

impl TerminalInfo {
    /// `(field, str(value))` for every present field, in the SDK's field order.
    fn header_fields(&self) -> Vec<(&'static str, String)> {
        let num = |v: Option<u64>| v.map(|v| v.to_string());
        [
            ("status_code", num(self.status_code.map(u64::from))),
            (
                "status_message",
                self.status_message.as_deref().map(header_safe),
            ),
            ("process_time", self.process_time.map(python_float_repr)),
            ("ip", self.ip.as_deref().map(header_safe)),
            ("port", num(self.port.map(u64::from))),
            ("version", num(self.version)),
            ("nonce", num(self.nonce)),
            ("uuid", self.uuid.as_deref().map(header_safe)),
            ("hotkey", self.hotkey.as_deref().map(header_safe)),
            ("signature", self.signature.as_deref().map(header_safe)),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect()
    }
}

/// A complete legacy response, ready for an HTTP layer to send.
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyResponse {
    /// The HTTP status.
    pub status: StatusCode,
    /// Headers, `content-type` included.
    pub headers: Vec<(String, String)>,
    /// The JSON body.
    pub body: Vec<u8>,
}

// === impl LegacyResponse ===

impl LegacyResponse {
    /// A 200 answer: the request's synapse JSON with the handler's `response_fields` laid
    /// over it and `axon` set to `axon` with status 200 and message `Success` (unless
    /// already set), as the SDK's `synapse_to_response` does.
    pub fn success(
        synapse: &str,
        timeout: Option<f64>,
        request_body: &[u8],
        response_fields: serde_json::Map<String, serde_json::Value>,
        mut axon: TerminalInfo,
        dendrite: &TerminalInfo,
    ) -> Result<Self, LegacyError> {
        let mut body: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(request_body).map_err(|e| LegacyError::InvalidBody {
                reason: e.to_string(),
            })?;
        body.extend(response_fields);
        axon.status_code = Some(StatusCode::OK.0);
        axon.status_message.get_or_insert_with(|| "Success".into());
        body.insert("axon".into(), to_value(&axon));
        let body = serde_json::to_vec(&body).map_err(|e| LegacyError::InvalidBody {
            reason: e.to_string(),
        })?;
        Ok(Self {
            status: StatusCode::OK,
            headers: response_headers(synapse, timeout, &axon, dendrite),
            body,
        })
    }

    /// An error answer: `{"message": ...}` with `status`, as the SDK's
    /// `create_error_response` does; `axon` gets the status and message.
    pub fn error(
        status: StatusCode,
        message: &str,
        synapse: &str,
        timeout: Option<f64>,
        mut axon: TerminalInfo,
        dendrite: &TerminalInfo,
    ) -> Self {
        let message = truncate(message);
        axon.status_code = Some(status.0);
        axon.status_message = Some(message.to_owned());
        let body = serde_json::json!({ "message": message })
            .to_string()
            .into_bytes();
        Self {
            status,
            headers: response_headers(synapse, timeout, &axon, dendrite),
            body,
        }
    }

    /// The error answer for a refused request: its status and its (peer-safe) message.
    pub fn refused(
        error: &LegacyError,
        synapse: &str,
        timeout: Option<f64>,
        axon: TerminalInfo,
        dendrite: &TerminalInfo,
    ) -> Self {
        Self::error(
            error.status(),
            &error.to_string(),
            synapse,
            timeout,
            axon,
            dendrite,
        )
    }
}

/// The headers of a legacy response: `content-type`, `name`, `timeout` and every present
/// field of both terminals as `bt_header_{axon,dendrite}_<field>`. Values are made safe for
/// a header line (no control characters) and status messages are bounded.
pub fn response_headers(
    synapse: &str,
    timeout: Option<f64>,
    axon: &TerminalInfo,
    dendrite: &TerminalInfo,
) -> Vec<(String, String)> {
    let mut headers = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        ("name".to_owned(), header_safe(synapse)),
    ];
    if let Some(t) = timeout {
        headers.push(("timeout".into(), python_float_repr(t)));
    }
    for (side, info) in [("axon", axon), ("dendrite", dendrite)] {
        for (field, value) in info.header_fields() {
            headers.push((format!("bt_header_{side}_{field}"), value));
        }
    }
    headers
}

fn to_value(info: &TerminalInfo) -> serde_json::Value {
    serde_json::to_value(info).unwrap_or(serde_json::Value::Null)
}

/// Replaces characters a header value must not hold and bounds the length.
fn header_safe(value: &str) -> String {
    truncate(value)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn truncate(value: &str) -> &str {
    if value.len() <= MAX_STATUS_MESSAGE {
        return value;
    }
    let mut end = MAX_STATUS_MESSAGE;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    value.get(..end).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_cannot_break_the_header_block() {
        let axon = TerminalInfo {
            status_message: Some("bad\r\nSet-Cookie: x".into()),
            ..TerminalInfo::default()
        };
        let h = response_headers("Echo\n", None, &axon, &TerminalInfo::default());
        assert!(h.iter().all(|(_, v)| !v.contains(['\r', '\n'])));
        let long = "é".repeat(2000);
        let r = LegacyResponse::error(
            StatusCode(500),
            &long,
            "Echo",
            None,
            TerminalInfo::default(),
            &TerminalInfo::default(),
        );
        assert!(r.headers.iter().all(|(_, v)| v.len() <= MAX_STATUS_MESSAGE));
        assert!(r.body.len() < 1200);
    }

    #[test]
    fn success_needs_a_json_object_request_body() {
        let r = LegacyResponse::success(
            "Echo",
            None,
            b"[1]",
            serde_json::Map::new(),
            TerminalInfo::default(),
            &TerminalInfo::default(),
        );
        assert!(matches!(r, Err(LegacyError::InvalidBody { .. })));
    }
}
