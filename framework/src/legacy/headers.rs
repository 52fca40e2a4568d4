//! The headers of a legacy request, parsed with bounded sizes into [`LegacyRequest`].
//!
//! A bittensor 10.x dendrite POSTs to `/<SynapseName>` with `name`, `timeout`,
//! `bt_header_dendrite_{ip,version,nonce,uuid,hotkey,signature}`,
//! `bt_header_axon_{ip,port,hotkey}`, `computed_body_hash`, `header_size`, `total_size` and
//! one `bt_header_input_obj_<field>` (base64 of JSON) per required field. Names are matched
//! case-insensitively (HTTP servers lowercase them); headers this module does not know are
//! ignored, as the SDK does.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::LegacyError;
use crate::identity::Hotkey;

/// Longest dendrite uuid accepted (the SDK sends a 36-character uuid1). It is a key of the
/// nonce table, so its size bounds that table's memory.
pub const MAX_UUID_LEN: usize = 64;

/// Bounds on what a peer may send in headers, checked before anything is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderLimits {
    /// Most headers in one request. Default 64: a dendrite sends about 15 plus one per
    /// required field.
    pub max_headers: usize,
    /// Longest single header name or value in bytes. Default 4 KiB; an input object header
    /// holds only the base64 JSON of an empty default value.
    pub max_header_len: usize,
    /// Most bytes over all names and values. Default 16 KiB.
    pub max_total: usize,
}

impl Default for HeaderLimits {
    fn default() -> Self {
        Self {
            max_headers: 64,
            max_header_len: 4096,
            max_total: 16 * 1024,
        }
    }
}

impl HeaderLimits {
    /// Checks the count and sizes of `headers` against these limits, before any parsing.
    pub fn check<N: AsRef<str>, V: AsRef<str>>(
        &self,
        headers: &[(N, V)],
    ) -> Result<(), LegacyError> {
        if headers.len() > self.max_headers {
            return Err(LegacyError::TooManyHeaders {
                limit: self.max_headers,
            });
        }
        let mut total = 0usize;
        for (name, value) in headers {
            let (n, v) = (name.as_ref().len(), value.as_ref().len());
            if n > self.max_header_len || v > self.max_header_len {
                return Err(LegacyError::HeadersTooLarge {
                    limit: self.max_header_len,
                });
            }
            total = total.saturating_add(n).saturating_add(v);
        }
        if total > self.max_total {
            return Err(LegacyError::HeadersTooLarge {
                limit: self.max_total,
            });
        }
        Ok(())
    }
}

/// What the dendrite says about itself (`bt_header_dendrite_*`).
#[derive(Debug, Clone, PartialEq)]
pub struct DendriteHeaders {
    /// The hotkey, exactly as sent (the signed message uses this text).
    pub hotkey_ss58: String,
    /// The same hotkey, parsed.
    pub hotkey: Hotkey,
    /// Nanoseconds since the Unix epoch when the request was signed.
    pub nonce: u64,
    /// The dendrite instance's uuid; nonces are monotonic per (hotkey, uuid).
    pub uuid: String,
    /// The 64-byte sr25519 signature.
    pub signature: [u8; 64],
    /// The SDK version as an integer (`10005000` for 10.5.0), when sent.
    pub version: Option<u64>,
    /// The IP the dendrite believes is its own, when sent (informational, unverified).
    pub ip: Option<String>,
}

/// What the dendrite says about the axon it addresses (`bt_header_axon_*`), unverified: the
/// signature covers the axon's own hotkey, not these.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AxonHeaders {
    /// The axon's IP as the dendrite knows it.
    pub ip: Option<String>,
    /// The axon's port as the dendrite knows it.
    pub port: Option<u16>,
    /// The hotkey the dendrite addressed.
    pub hotkey: Option<String>,
}

/// A parsed legacy request head.
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyRequest {
    /// The synapse name from the URL path.
    pub synapse: String,
    /// The `timeout` header in seconds, when sent; finite and non-negative.
    pub timeout: Option<f64>,
    /// The dendrite fields needed to authenticate the request.
    pub dendrite: DendriteHeaders,
    /// The axon fields as the dendrite sent them.
    pub axon: AxonHeaders,
    /// `computed_body_hash`: what the dendrite signed, 64 lowercase hex digits.
    pub computed_body_hash: String,
    /// `bt_header_input_obj_<field>`: decoded JSON per field, in arrival order.
    pub input_objects: Vec<(String, serde_json::Value)>,
}

/// Extracts the synapse name from a request path `/<Name>`; the query string, if any, is
/// ignored. The name must be a Python identifier of at most 128 ASCII characters.
pub fn synapse_name_from_path(path: &str) -> Result<&str, LegacyError> {
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    let name = path.strip_prefix('/').ok_or(LegacyError::InvalidPath)?;
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !first_ok || name.len() > 128 || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(LegacyError::InvalidPath);
    }
    Ok(name)
}

// === impl LegacyRequest ===

impl LegacyRequest {
    /// Parses the headers of a request to `/<synapse>` (see [`synapse_name_from_path`]).
    ///
    /// Malformed values are 400; a missing or unusable authentication field (nonce, uuid,
    /// hotkey, signature, body hash) is 401, as in the SDK. Nothing is allocated before the
    /// limits are checked.
    pub fn parse<N, V>(
        synapse: &str,
        headers: &[(N, V)],
        limits: &HeaderLimits,
    ) -> Result<Self, LegacyError>
    where
        N: AsRef<str>,
        V: AsRef<str>,
    {
        limits.check(headers)?;
        let mut fields = Fields::default();
        let mut input_objects = Vec::new();
        for (name, value) in headers {
            let (name, value) = (name.as_ref(), value.as_ref());
            let lower = name.to_ascii_lowercase();
            if let Some(field) = lower.strip_prefix("bt_header_input_obj_") {
                input_objects.push((field.to_owned(), decode_input_object(value)?));
            } else if let Some(slot) = fields.slot(&lower) {
                if slot.1.is_some() {
                    return Err(LegacyError::DuplicateHeader { name: slot.0 });
                }
                slot.1 = Some(value);
            }
        }
        fields.into_request(synapse, input_objects)
    }
}

fn decode_input_object(value: &str) -> Result<serde_json::Value, LegacyError> {
    let invalid = |reason| LegacyError::InvalidHeader {
        name: "bt_header_input_obj_*",
        reason,
    };
    let json = BASE64
        .decode(value.trim())
        .map_err(|_| invalid("not base64"))?;
    serde_json::from_slice(&json).map_err(|_| invalid("not JSON"))
}

/// The known single-valued headers, by lowercase name.
#[derive(Default)]
struct Fields<'a> {
    slots: [(&'static str, Option<&'a str>); 12],
}

const NAMES: [&str; 12] = [
    "name",
    "timeout",
    "computed_body_hash",
    "bt_header_dendrite_ip",
    "bt_header_dendrite_version",
    "bt_header_dendrite_nonce",
    "bt_header_dendrite_uuid",
    "bt_header_dendrite_hotkey",
    "bt_header_dendrite_signature",
    "bt_header_axon_ip",
    "bt_header_axon_port",
    "bt_header_axon_hotkey",
];

impl<'a> Fields<'a> {
    fn slot(&mut self, lower: &str) -> Option<&mut (&'static str, Option<&'a str>)> {
        let i = NAMES.iter().position(|n| *n == lower)?;
        let slot = self.slots.get_mut(i)?;
        slot.0 = NAMES.get(i).copied().unwrap_or("header");
        Some(slot)
    }

    fn get(&self, name: &'static str) -> Option<&'a str> {
        let i = NAMES.iter().position(|n| *n == name)?;
        self.slots.get(i).and_then(|s| s.1).map(str::trim)
    }

    fn require(&self, name: &'static str) -> Result<&'a str, LegacyError> {
        self.get(name)
            .filter(|v| !v.is_empty())
            .ok_or(LegacyError::MissingAuthHeader { name })
    }

    fn into_request(
        self,
        synapse: &str,
        input_objects: Vec<(String, serde_json::Value)>,
    ) -> Result<LegacyRequest, LegacyError> {
        let timeout = self.get("timeout").map(parse_timeout).transpose()?;
        let nonce = self
            .require("bt_header_dendrite_nonce")?
            .parse::<u64>()
            .map_err(|_| invalid("bt_header_dendrite_nonce", "not a non-negative integer"))?;
        let version = self
            .get("bt_header_dendrite_version")
            .map(|v| {
                v.parse::<u64>()
                    .map_err(|_| invalid("bt_header_dendrite_version", "not an integer"))
            })
            .transpose()?;
        let port = self
            .get("bt_header_axon_port")
            .map(|v| {
                v.parse::<u16>()
                    .map_err(|_| invalid("bt_header_axon_port", "not a port number"))
            })
            .transpose()?;
        let hotkey_ss58 = self.require("bt_header_dendrite_hotkey")?;
        let hotkey = Hotkey::from_ss58(hotkey_ss58).map_err(|_| LegacyError::InvalidHotkey)?;
        let signature = parse_signature(self.require("bt_header_dendrite_signature")?)?;
        let uuid = self.require("bt_header_dendrite_uuid")?;
        if uuid.len() > MAX_UUID_LEN {
            return Err(invalid("bt_header_dendrite_uuid", "longer than 64 bytes"));
        }
        let computed_body_hash = self.require("computed_body_hash")?;
        if computed_body_hash.len() != 64
            || !computed_body_hash
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(invalid("computed_body_hash", "not 64 lowercase hex digits"));
        }
        Ok(LegacyRequest {
            synapse: synapse.to_owned(),
            timeout,
            dendrite: DendriteHeaders {
                hotkey_ss58: hotkey_ss58.to_owned(),
                hotkey,
                nonce,
                uuid: uuid.to_owned(),
                signature,
                version,
                ip: self.get("bt_header_dendrite_ip").map(str::to_owned),
            },
            axon: AxonHeaders {
                ip: self.get("bt_header_axon_ip").map(str::to_owned),
                port,
                hotkey: self.get("bt_header_axon_hotkey").map(str::to_owned),
            },
            computed_body_hash: computed_body_hash.to_owned(),
            input_objects,
        })
    }
}

fn invalid(name: &'static str, reason: &'static str) -> LegacyError {
    LegacyError::InvalidHeader { name, reason }
}

fn parse_timeout(value: &str) -> Result<f64, LegacyError> {
    match value.parse::<f64>() {
        Ok(t) if t.is_finite() && t >= 0.0 => Ok(t),
        _ => Err(invalid("timeout", "not a finite non-negative number")),
    }
}

/// Parses `0x` + 128 hex digits (the prefix is optional) into a 64-byte signature.
pub fn parse_signature(value: &str) -> Result<[u8; 64], LegacyError> {
    let hex = value.strip_prefix("0x").unwrap_or(value);
    let mut signature = [0u8; 64];
    hex::decode_to_slice(hex, &mut signature).map_err(|_| LegacyError::InvalidSignatureEncoding)?;
    Ok(signature)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const ALICE: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

    fn good() -> Vec<(String, String)> {
        [
            ("name", "Echo"),
            ("timeout", "12.0"),
            ("bt_header_dendrite_nonce", "1700000000000000000"),
            ("bt_header_dendrite_uuid", "u-1"),
            ("bt_header_dendrite_hotkey", ALICE),
            (
                "bt_header_dendrite_signature",
                &format!("0x{}", "ab".repeat(64)),
            ),
            ("bt_header_dendrite_version", "10005000"),
            ("bt_header_axon_port", "8091"),
            ("computed_body_hash", super::super::EMPTY_BODY_HASH),
            ("bt_header_input_obj_text", "IiI="),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    fn with(name: &str, value: Option<&str>) -> Vec<(String, String)> {
        let mut h: Vec<_> = good().into_iter().filter(|(k, _)| k != name).collect();
        if let Some(v) = value {
            h.push((name.to_owned(), v.to_owned()));
        }
        h
    }

    fn parse(h: &[(String, String)]) -> Result<LegacyRequest, LegacyError> {
        LegacyRequest::parse("Echo", h, &HeaderLimits::default())
    }

    #[test]
    fn a_well_formed_head_parses() {
        let r = parse(&good()).unwrap();
        assert_eq!(r.dendrite.nonce, 1_700_000_000_000_000_000);
        assert_eq!(r.dendrite.hotkey.to_ss58(), ALICE);
        assert_eq!(r.dendrite.version, Some(10_005_000));
        assert_eq!(r.timeout, Some(12.0));
        assert_eq!(r.axon.port, Some(8091));
        assert_eq!(
            r.input_objects,
            vec![("text".into(), serde_json::json!(""))]
        );
    }

    #[test]
    fn header_names_are_case_insensitive() {
        let upper: Vec<_> = good()
            .into_iter()
            .map(|(k, v)| (k.to_ascii_uppercase(), v))
            .collect();
        assert_eq!(parse(&upper), parse(&good()));
    }

    #[test]
    fn missing_auth_fields_are_401_and_malformed_values_400() {
        for name in [
            "bt_header_dendrite_nonce",
            "bt_header_dendrite_uuid",
            "bt_header_dendrite_hotkey",
            "bt_header_dendrite_signature",
            "computed_body_hash",
        ] {
            let err = parse(&with(name, None)).unwrap_err();
            assert_eq!(err, LegacyError::MissingAuthHeader { name });
            assert_eq!(err.status().0, 401);
        }
        for (name, value) in [
            ("bt_header_dendrite_nonce", "12x"),
            ("bt_header_dendrite_nonce", "-5"),
            ("timeout", "inf"),
            ("timeout", "-1"),
            ("bt_header_axon_port", "70000"),
            ("bt_header_dendrite_version", "ten"),
            ("computed_body_hash", "ABCD"),
            ("bt_header_dendrite_uuid", &"u".repeat(65)),
            ("bt_header_input_obj_x", "%%%"),
        ] {
            let err = parse(&with(name, Some(value))).unwrap_err();
            assert_eq!(err.status().0, 400, "{name}={value}: {err}");
            assert!(!err.to_string().contains(value) || value.len() < 3);
        }
        assert_eq!(
            parse(&with("bt_header_dendrite_hotkey", Some("5Grw"))),
            Err(LegacyError::InvalidHotkey)
        );
        assert_eq!(
            parse(&with("bt_header_dendrite_signature", Some("0x1234"))),
            Err(LegacyError::InvalidSignatureEncoding)
        );
    }

    #[test]
    fn duplicates_and_oversized_heads_are_refused() {
        let mut h = good();
        h.push(("Bt_Header_Dendrite_Nonce".into(), "1".into()));
        assert_eq!(
            parse(&h),
            Err(LegacyError::DuplicateHeader {
                name: "bt_header_dendrite_nonce"
            })
        );
        let big = with("x-pad", Some(&"a".repeat(5000)));
        assert!(matches!(
            parse(&big),
            Err(LegacyError::HeadersTooLarge { .. })
        ));
        let mut many = good();
        many.extend((0..60).map(|i| (format!("x-{i}"), "v".to_owned())));
        assert!(matches!(
            parse(&many),
            Err(LegacyError::TooManyHeaders { .. })
        ));
        let mut wide = good();
        wide.extend((0..5).map(|i| (format!("x-{i}"), "v".repeat(4000))));
        assert!(matches!(
            parse(&wide),
            Err(LegacyError::HeadersTooLarge { .. })
        ));
    }

    #[test]
    fn paths_name_a_synapse() {
        assert_eq!(synapse_name_from_path("/Echo"), Ok("Echo"));
        assert_eq!(synapse_name_from_path("/_My_Syn2?x=1"), Ok("_My_Syn2"));
        for bad in ["", "/", "Echo", "/Echo/x", "/2x", "/a-b", "/é"] {
            assert_eq!(
                synapse_name_from_path(bad),
                Err(LegacyError::InvalidPath),
                "{bad}"
            );
        }
    }

    proptest! {
        #[test]
        fn arbitrary_headers_never_panic(
            h in proptest::collection::vec(("[a-zA-Z_]{0,30}", "\\PC{0,40}"), 0..20)
        ) {
            let _ = LegacyRequest::parse("Echo", &h, &HeaderLimits::default());
            let mut g = good();
            g.extend(h);
            let _ = LegacyRequest::parse("Echo", &g, &HeaderLimits::default());
        }
    }
}
