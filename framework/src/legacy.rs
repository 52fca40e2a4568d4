//! The legacy bittensor HTTP protocol (SDK 10.x axon/dendrite) and btauth/1, as pure code.
//!
//! Today's network speaks HTTP/1.1 + JSON: a Python `dendrite` POSTs the whole synapse as
//! JSON to `http://ip:port/<SynapseName>` with `bt_header_*` headers and an sr25519
//! signature. This module holds everything about that wire format that does not need a
//! socket, so that an HTTP server or client is a thin layer over it:
//!
//! - [`LegacyRequest::parse`] reads the request headers, bounded by [`HeaderLimits`];
//! - [`body_hash`] recomputes the SDK's hash of the `required_hash_fields`, which is made of
//!   Python's `str()` of each value ([`PyValue`]);
//! - [`LegacyVerifier`] checks freshness on **every** request ([`FreshnessConfig`]), the body
//!   hash (a mismatch is 400, the SDK answers 500), the signature ([`signing_message`]) and
//!   that each nonce is used once, in a bounded, pruned [`NonceTable`];
//! - [`sign_request`] signs as a dendrite does, for a legacy client;
//! - [`BtAuthVerifier`] and [`btauth_sign`] implement btauth/1, bittensor 11's signed HTTP
//!   requests (`bittensor.http_auth`), with freshness and a bounded replay cache;
//! - [`LegacySynapse`] maps a typed synapse to the SDK's synapse JSON and back;
//! - [`LegacyResponse`] builds what the axon answers: `bt_header_axon_*` headers and the
//!   synapse JSON on success, `{"message": ...}` on error, as the SDK's dendrite reads them.
//!
//! Every refusal is a [`LegacyError`] whose [`status`](LegacyError::status) is what the axon
//! answers (400, 401, 404, 503); a btauth refusal is a [`BtAuthError`].

mod body_hash;
mod btauth;
mod client;
mod error;
mod freshness;
mod headers;
mod python_str;
mod response;
mod service;
mod signature;
mod synapse;
mod verify;

#[cfg(test)]
mod btauth_vectors;
#[cfg(test)]
mod sdk_vectors;

pub use body_hash::{
    EMPTY_BODY_HASH, body_hash, body_hash_of, body_hash_of_dict, verify_body_hash,
};
pub use btauth::{
    BTAUTH_PROTOCOL, BTAUTH_VERSION, BtAuthCaller, BtAuthConfig, BtAuthError, BtAuthVerifier,
    HEADER_CRYPTO, HEADER_HOTKEY, HEADER_NONCE, HEADER_RECEIVER, HEADER_SIGNATURE, HEADER_VERSION,
    btauth_payload, btauth_sign,
};
pub use client::{LegacyCall, LegacyTarget, SDK_VERSION_AS_INT};
pub use error::LegacyError;
pub use freshness::{FreshnessConfig, NonceTable};
pub use headers::{
    AxonHeaders, DendriteHeaders, HeaderLimits, LegacyRequest, MAX_UUID_LEN, parse_signature,
    synapse_name_from_path,
};
pub use python_str::{PyValue, python_float_repr, python_str_repr};
pub use response::{LegacyResponse, MAX_STATUS_MESSAGE, TerminalInfo, response_headers};
pub use service::{LegacyService, legacy_unary};
pub use signature::{sign_request, signing_message, verify_request_signature};
pub use synapse::LegacySynapse;
pub use verify::{DEFAULT_NONCE_CAPACITY, LegacyVerifier, now_ns};
