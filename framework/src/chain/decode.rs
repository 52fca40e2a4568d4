//! Picking typed fields out of dynamically decoded values, tolerant of layout changes.
//!
//! Structs and errors are decoded into `scale_value::Value` and read by field name, so a
//! runtime that adds, removes or reorders fields still decodes; a field we need that is
//! missing is a [`ChainError::Decode`], never a panic.

use subxt::Metadata;
use subxt::ext::scale_value::{Composite, Primitive, Value, ValueDef};

use super::{ChainError, DispatchFailure};
use crate::metagraph::{AxonInfo, IpDecodeError, ip_from_chain};

/// Strips single-field wrappers (`NetUid(u16)`, `AccountId32([u8; 32])`, ...).
fn unwrap_newtype<T>(mut value: &Value<T>) -> &Value<T> {
    while let ValueDef::Composite(composite) = &value.value {
        match composite.values().len() {
            1 => match composite.values().next() {
                Some(inner) => value = inner,
                None => break,
            },
            _ => break,
        }
    }
    value
}

/// The field `name` of a struct (or of a variant with named fields).
pub(crate) fn field<'a, T>(value: &'a Value<T>, name: &str) -> Option<&'a Value<T>> {
    let composite = match &unwrap_newtype_named(value).value {
        ValueDef::Composite(c) => c,
        ValueDef::Variant(v) => &v.values,
        _ => return None,
    };
    match composite {
        Composite::Named(fields) => fields.iter().find(|(n, _)| n == name).map(|(_, v)| v),
        Composite::Unnamed(_) => None,
    }
}

/// Like [`unwrap_newtype`] but stops at a named composite (a struct we want fields of).
fn unwrap_newtype_named<T>(mut value: &Value<T>) -> &Value<T> {
    while let ValueDef::Composite(Composite::Unnamed(values)) = &value.value {
        match values.as_slice() {
            [inner] => value = inner,
            _ => break,
        }
    }
    value
}

/// An unsigned integer, however wrapped.
pub(crate) fn as_u128<T>(value: &Value<T>) -> Option<u128> {
    match &unwrap_newtype(value).value {
        ValueDef::Primitive(Primitive::U128(n)) => Some(*n),
        ValueDef::Primitive(Primitive::U256(bytes)) => {
            let (high, low) = bytes.split_at(16);
            high.iter()
                .all(|b| *b == 0)
                .then(|| u128::from_le_bytes(low.try_into().unwrap_or([0; 16])))
        }
        _ => None,
    }
}

/// The unsigned integer field `name`, narrowed to `N`.
pub(crate) fn uint_field<N: TryFrom<u128>, T>(value: &Value<T>, name: &str) -> Option<N> {
    field(value, name)
        .and_then(as_u128)
        .and_then(|n| N::try_from(n).ok())
}

/// The name of an enum variant.
pub(crate) fn variant_name<T>(value: &Value<T>) -> Option<&str> {
    match &unwrap_newtype(value).value {
        ValueDef::Variant(v) => Some(&v.name),
        _ => None,
    }
}

/// The first field of an enum variant (`Err(e)` -> `e`, `Module(m)` -> `m`).
fn variant_payload<T>(value: &Value<T>) -> Option<&Value<T>> {
    match &unwrap_newtype(value).value {
        ValueDef::Variant(v) => v.values.values().next(),
        _ => None,
    }
}

/// Bytes of a byte array or a sequence of small integers (`[u8; 4]`, `Vec<u8>`).
fn as_bytes<T>(value: &Value<T>) -> Option<Vec<u8>> {
    match &unwrap_newtype_named(value).value {
        ValueDef::Composite(c) => c
            .values()
            .map(|v| as_u128(v).and_then(|n| u8::try_from(n).ok()))
            .collect(),
        ValueDef::Primitive(Primitive::U128(n)) => u8::try_from(*n).ok().map(|b| vec![b]),
        _ => None,
    }
}

// === axons ===

/// Decodes a stored `AxonInfo { block, version, ip, port, ip_type, protocol, placeholder1,
/// placeholder2 }` by field name.
///
/// `Ok(None)`: the value is well-formed but holds an address that cannot be used (unknown
/// `ip_type`); `Err`: the layout is not an axon at all (a field we need is missing).
pub(crate) fn axon_from_value<T>(value: &Value<T>) -> Result<Option<AxonInfo>, ChainError> {
    let what = "SubtensorModule::Axons";
    let need = |name: &str| {
        field(value, name)
            .and_then(as_u128)
            .ok_or_else(|| ChainError::decode(what, format!("missing or non-integer `{name}`")))
    };
    let ip = need("ip")?;
    let ip_type = u8::try_from(need("ip_type")?)
        .map_err(|_| ChainError::decode(what, "ip_type out of range"))?;
    let port =
        u16::try_from(need("port")?).map_err(|_| ChainError::decode(what, "port out of range"))?;
    let ip = match ip_from_chain(ip, ip_type) {
        Ok(ip) => ip,
        Err(e @ (IpDecodeError::UnknownIpType(_) | IpDecodeError::Ipv4OutOfRange)) => {
            tracing::debug!(error = %e, "ignoring an axon with an unusable address");
            return Ok(None);
        }
    };
    Ok(Some(AxonInfo {
        ip,
        port,
        version: uint_field(value, "version").unwrap_or(0),
        protocol: uint_field(value, "protocol").unwrap_or(0),
        placeholder1: uint_field(value, "placeholder1").unwrap_or(0),
        placeholder2: uint_field(value, "placeholder2").unwrap_or(0),
        block: uint_field(value, "block").unwrap_or(0),
    }))
}

// === dispatch errors ===

/// Names a `sp_runtime::DispatchError` value: `Module { index, error }` is resolved through
/// the metadata to `Pallet::ErrorName`; `Token(FundsUnavailable)` becomes
/// `Token::FundsUnavailable`; unit variants become `DispatchError::BadOrigin` and so on.
pub(crate) fn dispatch_failure<T>(metadata: &Metadata, error: &Value<T>) -> DispatchFailure {
    let Some(name) = variant_name(error) else {
        return unknown("not a DispatchError variant");
    };
    let payload = variant_payload(error);
    if name == "Module" {
        return payload
            .and_then(|m| module_error(metadata, m))
            .unwrap_or_else(|| unknown("unresolvable module error"));
    }
    match payload.and_then(variant_name) {
        Some(inner) => DispatchFailure {
            module: name.to_owned(),
            error: inner.to_owned(),
        },
        None => DispatchFailure {
            module: "DispatchError".to_owned(),
            error: name.to_owned(),
        },
    }
}

/// Resolves `ModuleError { index: u8, error: [u8; 4] }` (or a bare `u8` error, as in older
/// runtimes) to pallet and error names.
fn module_error<T>(metadata: &Metadata, module: &Value<T>) -> Option<DispatchFailure> {
    let index = u8::try_from(as_u128(field(module, "index")?)?).ok()?;
    let error = *as_bytes(field(module, "error")?)?.first()?;
    let pallet = metadata.pallet_by_error_index(index)?;
    let name = pallet
        .error_variant_by_index(error)
        .map_or_else(|| format!("Error#{error}"), |v| v.name.clone());
    Some(DispatchFailure {
        module: pallet.name().to_owned(),
        error: name,
    })
}

fn unknown(reason: &str) -> DispatchFailure {
    DispatchFailure {
        module: "DispatchError".to_owned(),
        error: format!("Unknown ({reason})"),
    }
}

/// The error of a `Result<(), DispatchError>` value (`Sudo::Sudid { sudo_result }`), or
/// `None` when it is `Ok`.
pub(crate) fn result_error<T>(result: &Value<T>) -> Option<&Value<T>> {
    (variant_name(result) == Some("Err")).then(|| variant_payload(result))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axon_value(ip: u128, ip_type: u8) -> Value {
        Value::named_composite([
            ("block", Value::u128(42)),
            ("version", Value::u128(100)),
            ("ip", Value::u128(ip)),
            ("port", Value::u128(9000)),
            ("ip_type", Value::u128(u128::from(ip_type))),
            ("protocol", Value::u128(4)),
            ("placeholder1", Value::u128(0xA7)),
            ("placeholder2", Value::u128(1)),
        ])
    }

    #[test]
    fn axon_fields_are_read_by_name() {
        let axon = axon_from_value(&axon_value(0x7f00_0002, 4))
            .expect("decodes")
            .expect("usable");
        assert_eq!(axon.ip.to_string(), "127.0.0.2");
        assert_eq!(axon.port, 9000);
        assert_eq!(axon.block, 42);
        assert_eq!(axon.version, 100);
        assert!(axon.is_axonite());
    }

    #[test]
    fn axon_without_optional_fields_still_decodes() {
        let value = Value::named_composite([
            ("ip", Value::u128(0x0a00_0001)),
            ("port", Value::u128(1)),
            ("ip_type", Value::u128(4)),
            ("future_field", Value::bool(true)),
        ]);
        let axon = axon_from_value(&value).expect("decodes").expect("usable");
        assert_eq!(axon.placeholder1, 0);
        assert!(!axon.is_axonite());
    }

    #[test]
    fn axon_with_an_unknown_ip_type_is_skipped_not_fatal() {
        assert_eq!(axon_from_value(&axon_value(1, 9)), Ok(None));
    }

    #[test]
    fn a_value_that_is_not_an_axon_is_a_decode_error() {
        let err = axon_from_value(&Value::u128(5)).expect_err("not an axon");
        assert!(matches!(err, ChainError::Decode { .. }), "{err}");
        let missing_port =
            Value::named_composite([("ip", Value::u128(1)), ("ip_type", Value::u128(4))]);
        assert!(axon_from_value(&missing_port).is_err());
    }

    #[test]
    fn newtype_wrappers_are_transparent() {
        let wrapped = Value::unnamed_composite([Value::unnamed_composite([Value::u128(7)])]);
        assert_eq!(as_u128(&wrapped), Some(7));
        assert_eq!(
            as_bytes(&Value::unnamed_composite([Value::from_bytes([1, 2, 3, 4])])),
            Some(vec![1, 2, 3, 4])
        );
    }

    #[test]
    fn ok_results_have_no_error() {
        let ok = Value::unnamed_variant("Ok", [Value::unnamed_composite([])]);
        assert!(result_error(&ok).is_none());
        let err = Value::unnamed_variant(
            "Err",
            [Value::variant("BadOrigin", Composite::Unnamed(vec![]))],
        );
        assert_eq!(result_error(&err).and_then(variant_name), Some("BadOrigin"));
    }
}
