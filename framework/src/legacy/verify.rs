//! The axon's checks of a legacy request, in order: freshness, body hash, signature, nonce.

use std::sync::Mutex;

use super::LegacyError;
use super::body_hash::verify_body_hash;
use super::freshness::{FreshnessConfig, NonceTable};
use super::headers::LegacyRequest;
use super::signature::verify_request_signature;
use crate::identity::Hotkey;

/// Authenticates legacy requests addressed to one axon hotkey. Shared by all connections of
/// a server: the nonce table sits behind a mutex held only for a map lookup.
#[derive(Debug)]
pub struct LegacyVerifier {
    own: Hotkey,
    config: FreshnessConfig,
    table: Mutex<NonceTable>,
}

/// Default capacity of the nonce table: nonces inside their freshness windows (about 4,000
/// legacy requests a second with the SDK's 12 s timeout).
pub const DEFAULT_NONCE_CAPACITY: usize = 65_536;

impl LegacyVerifier {
    /// A verifier for the axon whose hotkey is `own`, remembering at most `capacity`
    /// recent nonces.
    pub fn new(own: Hotkey, config: FreshnessConfig, capacity: usize) -> Self {
        Self {
            own,
            table: Mutex::new(NonceTable::new(capacity, &config)),
            config,
        }
    }

    /// Checks `request` with its raw `body` at time `now_ns` (ns since the Unix epoch):
    /// the nonce is in the window (401), the body hashes to `computed_body_hash` over the
    /// synapse's `hashed_fields` (400), the signature verifies for this axon (401), and the
    /// nonce was not accepted before from this (hotkey, uuid) (401). Only a request that
    /// passes everything is recorded.
    pub fn verify(
        &self,
        request: &LegacyRequest,
        body: &[u8],
        hashed_fields: &[&str],
        now_ns: u64,
    ) -> Result<(), LegacyError> {
        self.verify_headers(request, now_ns)?;
        self.accept_body(request, body, hashed_fields, now_ns)
    }

    /// The checks that need no body: the nonce is in the window (401) and the signature,
    /// which covers the claimed `computed_body_hash`, verifies for this axon (401). A server
    /// runs this before reading the body, so that rate limits apply to a proven hotkey and
    /// an unauthenticated peer gets no body read; then [`accept_body`](Self::accept_body).
    pub fn verify_headers(&self, request: &LegacyRequest, now_ns: u64) -> Result<(), LegacyError> {
        self.config
            .check(request.dendrite.nonce, request.timeout, now_ns)?;
        verify_request_signature(request, &self.own)
    }

    /// The checks of the body, after [`verify_headers`](Self::verify_headers): it hashes to
    /// the signed `computed_body_hash` over `hashed_fields` (400), and the nonce was not
    /// accepted before from this (hotkey, uuid) (401), which records it.
    pub fn accept_body(
        &self,
        request: &LegacyRequest,
        body: &[u8],
        hashed_fields: &[&str],
        now_ns: u64,
    ) -> Result<(), LegacyError> {
        let d = &request.dendrite;
        verify_body_hash(body, hashed_fields, &request.computed_body_hash)?;
        self.table
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .accept(d.hotkey, &d.uuid, d.nonce, request.timeout, now_ns)
    }

    /// The hotkey requests must be addressed to.
    pub fn own(&self) -> Hotkey {
        self.own
    }
}

/// Nanoseconds since the Unix epoch now, the unit of legacy nonces (0 if the clock is set
/// before 1970).
pub fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}
