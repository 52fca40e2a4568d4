//! btauth/1: bittensor 11's hotkey-signed HTTP requests (`bittensor/http_auth.py`).
//!
//! The client signs, with its hotkey (sr25519), the newline-joined UTF-8 payload
//!
//! ```text
//! btauth/1 \n sr25519 \n METHOD \n path?query \n sha256(body) hex \n nonce \n sender \n receiver|-
//! ```
//!
//! and sends `X-Bittensor-Version: 1`, `-Hotkey`, `-Nonce` (ns since the Unix epoch),
//! `-Signature` (`0x` + hex) and `-Receiver`. The server checks, in the SDK's order: header
//! shape, receiver, freshness (10 s back, 2 s ahead by default), signature, then a bounded
//! replay cache written only after the signature verified. Only sr25519 is accepted: an
//! `X-Bittensor-Crypto: ed25519` request is refused with [`BtAuthError::UnsupportedScheme`].

use std::sync::Mutex;
use std::time::Duration;

use sha2::{Digest as _, Sha256};

use super::headers::{HeaderLimits, parse_signature};
use crate::handshake::{ReplayError, ReplayWindow};
use crate::identity::{Hotkey, Keypair};
use crate::protocol::StatusCode;

/// The protocol line of the signed payload.
pub const BTAUTH_PROTOCOL: &str = "btauth/1";
/// The value of [`HEADER_VERSION`].
pub const BTAUTH_VERSION: &str = "1";
/// Protocol version header.
pub const HEADER_VERSION: &str = "X-Bittensor-Version";
/// Sender hotkey (SS58) header.
pub const HEADER_HOTKEY: &str = "X-Bittensor-Hotkey";
/// Nonce header: decimal nanoseconds since the Unix epoch.
pub const HEADER_NONCE: &str = "X-Bittensor-Nonce";
/// Signature header: `0x` + hex.
pub const HEADER_SIGNATURE: &str = "X-Bittensor-Signature";
/// Receiver hotkey (SS58) header; absent for an unbound request.
pub const HEADER_RECEIVER: &str = "X-Bittensor-Receiver";
/// Signature scheme header; absent means sr25519.
pub const HEADER_CRYPTO: &str = "X-Bittensor-Crypto";

const SCHEME: &str = "sr25519";

/// Why a btauth/1 request was refused. Messages never echo the signature, payload or a
/// header value, so they are safe to return to the unauthenticated caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BtAuthError {
    /// A required header is missing, repeated or unparseable, or the headers are too large.
    #[error("malformed btauth/1 headers: {reason}")]
    Malformed {
        /// What is wrong.
        reason: &'static str,
    },
    /// The request is signed with a scheme other than sr25519.
    #[error("unsupported signature scheme: only sr25519 is accepted")]
    UnsupportedScheme,
    /// The request is bound to another receiver, or to none while one is required.
    #[error("request was not signed for this receiver")]
    WrongReceiver,
    /// The nonce is older than the freshness window.
    #[error("stale request: nonce is {age_ms} ms old")]
    Stale {
        /// How old the nonce is.
        age_ms: u64,
    },
    /// The nonce is further in the future than the allowed skew.
    #[error("nonce is {ahead_ms} ms in the future")]
    FromTheFuture {
        /// How far ahead the nonce is.
        ahead_ms: u64,
    },
    /// The signature does not verify against the claimed hotkey.
    #[error("signature does not verify against the claimed hotkey")]
    BadSignature,
    /// This (hotkey, nonce) was already accepted inside the window.
    #[error("this nonce was already accepted from this hotkey")]
    Replayed,
    /// The replay cache is full of unexpired entries; refusing rather than forgetting.
    #[error("too many recent requests, try again shortly")]
    ReplayCacheFull,
}

impl BtAuthError {
    /// The HTTP status to answer: 401 for every authentication failure, 503 when the replay
    /// cache is full.
    pub fn status(&self) -> StatusCode {
        match self {
            BtAuthError::ReplayCacheFull => StatusCode::UNAVAILABLE,
            _ => StatusCode::UNAUTHORIZED,
        }
    }
}

/// The exact bytes that are signed (the normative btauth/1 payload).
///
/// `target` is the request target as sent (path plus `?query`); `method` is uppercased;
/// `receiver` `None` writes `-`.
pub fn btauth_payload(
    method: &str,
    target: &str,
    body: &[u8],
    nonce: u64,
    sender_ss58: &str,
    receiver_ss58: Option<&str>,
) -> Vec<u8> {
    let lines = [
        BTAUTH_PROTOCOL,
        SCHEME,
        &method.to_ascii_uppercase(),
        target,
        &hex::encode(Sha256::digest(body)),
        &nonce.to_string(),
        sender_ss58,
        receiver_ss58.unwrap_or("-"),
    ];
    lines.join("\n").into_bytes()
}

/// Signs a request as bittensor 11's `http_auth.sign` does; returns the headers to send.
pub fn btauth_sign(
    keypair: &Keypair,
    method: &str,
    target: &str,
    body: &[u8],
    receiver: Option<&Hotkey>,
    nonce: u64,
) -> Vec<(&'static str, String)> {
    let sender = keypair.hotkey().to_ss58();
    let receiver = receiver.map(Hotkey::to_ss58);
    let payload = btauth_payload(method, target, body, nonce, &sender, receiver.as_deref());
    let mut headers = vec![
        (HEADER_VERSION, BTAUTH_VERSION.to_owned()),
        (HEADER_HOTKEY, sender),
        (HEADER_NONCE, nonce.to_string()),
        (
            HEADER_SIGNATURE,
            format!("0x{}", hex::encode(keypair.sign(&payload))),
        ),
    ];
    if let Some(receiver) = receiver {
        headers.push((HEADER_RECEIVER, receiver));
    }
    headers
}

/// Settings of a [`BtAuthVerifier`]; the defaults are the SDK's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BtAuthConfig {
    /// How old a nonce may be. Default 10 s.
    pub max_age: Duration,
    /// How far in the future a nonce may be. Default 2 s.
    pub allowed_skew: Duration,
    /// Refuse requests without `X-Bittensor-Receiver`. Default true: an unbound request can
    /// be replayed to any other server inside the window.
    pub require_receiver: bool,
    /// Most (hotkey, nonce) pairs remembered at once. Default 65 536.
    pub replay_capacity: usize,
    /// Bounds on the request headers.
    pub header_limits: HeaderLimits,
}

impl Default for BtAuthConfig {
    fn default() -> Self {
        Self {
            max_age: Duration::from_secs(10),
            allowed_skew: Duration::from_secs(2),
            require_receiver: true,
            replay_capacity: 65_536,
            header_limits: HeaderLimits::default(),
        }
    }
}

/// The authenticated sender of a verified request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BtAuthCaller {
    /// The sender's hotkey.
    pub hotkey: Hotkey,
    /// The nonce it signed.
    pub nonce: u64,
}

/// Verifies btauth/1 requests addressed to one hotkey, with a replay cache shared by all
/// connections (behind a mutex held for one set operation).
#[derive(Debug)]
pub struct BtAuthVerifier {
    own_ss58: String,
    config: BtAuthConfig,
    replay: Mutex<ReplayWindow>,
}

// === impl BtAuthVerifier ===

impl BtAuthVerifier {
    /// A verifier for the server whose hotkey is `own`.
    pub fn new(own: Hotkey, config: BtAuthConfig) -> Self {
        Self {
            own_ss58: own.to_ss58(),
            replay: Mutex::new(ReplayWindow::new(config.replay_capacity)),
            config,
        }
    }

    /// Authenticates a request: its `headers`, raw `body` (before any parsing), `method` and
    /// request `target` (path plus query, as received), at `now_ns` (ns since the epoch).
    pub fn verify<N: AsRef<str>, V: AsRef<str>>(
        &self,
        headers: &[(N, V)],
        body: &[u8],
        method: &str,
        target: &str,
        now_ns: u64,
    ) -> Result<BtAuthCaller, BtAuthError> {
        let h = AuthHeaders::parse(headers, &self.config.header_limits)?;
        match h.receiver {
            None if self.config.require_receiver => return Err(BtAuthError::WrongReceiver),
            Some(r) if r != self.own_ss58 => return Err(BtAuthError::WrongReceiver),
            _ => {}
        }
        self.check_fresh(h.nonce, now_ns)?;
        let sender = Hotkey::from_ss58(h.hotkey).map_err(|_| malformed("invalid hotkey"))?;
        let payload = btauth_payload(method, target, body, h.nonce, h.hotkey, h.receiver);
        if !sender.verify(&payload, &h.signature) {
            return Err(BtAuthError::BadSignature);
        }
        let now_ms = now_ns / 1_000_000;
        let keep_ms = duration_ms(self.config.max_age.saturating_add(self.config.allowed_skew));
        self.replay
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(
                sender,
                u128::from(h.nonce).to_be_bytes(),
                now_ms,
                now_ms.saturating_add(keep_ms).saturating_add(1),
            )
            .map_err(|e| match e {
                ReplayError::Replayed => BtAuthError::Replayed,
                ReplayError::Full => BtAuthError::ReplayCacheFull,
            })?;
        Ok(BtAuthCaller {
            hotkey: sender,
            nonce: h.nonce,
        })
    }

    fn check_fresh(&self, nonce: u64, now_ns: u64) -> Result<(), BtAuthError> {
        if nonce > now_ns {
            let ahead = nonce - now_ns;
            if u128::from(ahead) > self.config.allowed_skew.as_nanos() {
                return Err(BtAuthError::FromTheFuture {
                    ahead_ms: ahead / 1_000_000,
                });
            }
        } else if u128::from(now_ns - nonce) > self.config.max_age.as_nanos() {
            return Err(BtAuthError::Stale {
                age_ms: (now_ns - nonce) / 1_000_000,
            });
        }
        Ok(())
    }
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn malformed(reason: &'static str) -> BtAuthError {
    BtAuthError::Malformed { reason }
}

/// The btauth headers of one request, borrowed from it.
struct AuthHeaders<'a> {
    hotkey: &'a str,
    nonce: u64,
    signature: [u8; 64],
    receiver: Option<&'a str>,
}

impl<'a> AuthHeaders<'a> {
    fn parse<N: AsRef<str>, V: AsRef<str>>(
        headers: &'a [(N, V)],
        limits: &HeaderLimits,
    ) -> Result<Self, BtAuthError> {
        limits
            .check(headers)
            .map_err(|_| malformed("headers exceed the size limits"))?;
        let names = [
            HEADER_VERSION,
            HEADER_HOTKEY,
            HEADER_NONCE,
            HEADER_SIGNATURE,
            HEADER_RECEIVER,
            HEADER_CRYPTO,
        ];
        let mut values: [Option<&'a str>; 6] = [None; 6];
        for (name, value) in headers {
            let Some(i) = names
                .iter()
                .position(|n| n.eq_ignore_ascii_case(name.as_ref()))
            else {
                continue;
            };
            let slot = values.get_mut(i).ok_or(malformed("header"))?;
            if slot.replace(value.as_ref()).is_some() {
                return Err(malformed("repeated btauth header"));
            }
        }
        let [version, hotkey, nonce, signature, receiver, crypto] = values;
        if version != Some(BTAUTH_VERSION) {
            return Err(malformed("missing or unsupported X-Bittensor-Version"));
        }
        let hotkey = hotkey
            .filter(|h| !h.is_empty())
            .ok_or(malformed("missing X-Bittensor-Hotkey"))?;
        let nonce = nonce.ok_or(malformed("missing X-Bittensor-Nonce"))?;
        let nonce = nonce
            .trim()
            .parse::<u64>()
            .map_err(|_| malformed("X-Bittensor-Nonce is not a decimal integer"))?;
        if let Some(crypto) = crypto {
            match crypto.trim().to_ascii_lowercase().as_str() {
                "sr25519" | "1" => {}
                "ed25519" | "0" => return Err(BtAuthError::UnsupportedScheme),
                _ => return Err(malformed("unsupported X-Bittensor-Crypto")),
            }
        }
        let signature = signature.ok_or(malformed("missing X-Bittensor-Signature"))?;
        let signature = parse_signature(signature)
            .map_err(|_| malformed("X-Bittensor-Signature is not 64 bytes of hex"))?;
        Ok(Self {
            hotkey,
            nonce,
            signature,
            receiver,
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const NOW: u64 = 1_700_000_000_000_000_000;
    const S: u64 = 1_000_000_000;

    fn alice() -> Keypair {
        Keypair::from_dev_uri("//Alice").unwrap()
    }

    fn bob() -> Hotkey {
        Keypair::from_dev_uri("//Bob").unwrap().hotkey()
    }

    fn verifier() -> BtAuthVerifier {
        BtAuthVerifier::new(bob(), BtAuthConfig::default())
    }

    fn signed(nonce: u64) -> Vec<(&'static str, String)> {
        btauth_sign(&alice(), "POST", "/x?q=1", b"body", Some(&bob()), nonce)
    }

    #[test]
    fn a_signed_request_verifies_once() {
        let v = verifier();
        let caller = v
            .verify(&signed(NOW), b"body", "post", "/x?q=1", NOW)
            .unwrap();
        assert_eq!(caller.hotkey, alice().hotkey());
        assert_eq!(
            v.verify(&signed(NOW), b"body", "POST", "/x?q=1", NOW + S),
            Err(BtAuthError::Replayed)
        );
    }

    #[test]
    fn changed_method_target_body_or_receiver_fail() {
        let v = verifier();
        let h = signed(NOW);
        for (body, method, target) in [
            (&b"bodY"[..], "POST", "/x?q=1"),
            (b"body", "PUT", "/x?q=1"),
            (b"body", "POST", "/x?q=2"),
        ] {
            assert_eq!(
                v.verify(&h, body, method, target, NOW),
                Err(BtAuthError::BadSignature)
            );
        }
        let other = BtAuthVerifier::new(alice().hotkey(), BtAuthConfig::default());
        assert_eq!(
            other.verify(&h, b"body", "POST", "/x?q=1", NOW),
            Err(BtAuthError::WrongReceiver)
        );
        let unbound = btauth_sign(&alice(), "GET", "/", b"", None, NOW);
        assert_eq!(
            v.verify(&unbound, b"", "GET", "/", NOW),
            Err(BtAuthError::WrongReceiver)
        );
        let lax = BtAuthVerifier::new(
            bob(),
            BtAuthConfig {
                require_receiver: false,
                ..BtAuthConfig::default()
            },
        );
        assert!(lax.verify(&unbound, b"", "GET", "/", NOW).is_ok());
    }

    #[test]
    fn freshness_is_ten_seconds_back_and_two_ahead() {
        let v = verifier();
        assert!(
            v.verify(&signed(NOW - 10 * S), b"body", "POST", "/x?q=1", NOW)
                .is_ok()
        );
        assert!(matches!(
            v.verify(&signed(NOW - 10 * S - 1), b"body", "POST", "/x?q=1", NOW),
            Err(BtAuthError::Stale { .. })
        ));
        assert!(matches!(
            v.verify(&signed(NOW + 3 * S), b"body", "POST", "/x?q=1", NOW),
            Err(BtAuthError::FromTheFuture { .. })
        ));
    }

    #[test]
    fn malformed_and_unsupported_headers_are_refused() {
        let v = verifier();
        let mut h = signed(NOW);
        h.push((HEADER_CRYPTO, "ed25519".into()));
        assert_eq!(
            v.verify(&h, b"body", "POST", "/x?q=1", NOW),
            Err(BtAuthError::UnsupportedScheme)
        );
        let mut h = signed(NOW);
        h.push(("x-bittensor-nonce", "1".into()));
        assert!(matches!(
            v.verify(&h, b"body", "POST", "/x?q=1", NOW),
            Err(BtAuthError::Malformed { .. })
        ));
        for name in [
            HEADER_VERSION,
            HEADER_HOTKEY,
            HEADER_NONCE,
            HEADER_SIGNATURE,
        ] {
            let h: Vec<_> = signed(NOW)
                .into_iter()
                .filter(|(n, _)| *n != name)
                .collect();
            let err = v.verify(&h, b"body", "POST", "/x?q=1", NOW).unwrap_err();
            assert!(matches!(err, BtAuthError::Malformed { .. }), "{name}");
            assert_eq!(err.status().0, 401);
        }
    }

    #[test]
    fn a_full_replay_cache_fails_closed() {
        let v = BtAuthVerifier::new(
            bob(),
            BtAuthConfig {
                replay_capacity: 1,
                ..BtAuthConfig::default()
            },
        );
        v.verify(&signed(NOW), b"body", "POST", "/x?q=1", NOW)
            .unwrap();
        let err = v
            .verify(&signed(NOW + 1), b"body", "POST", "/x?q=1", NOW)
            .unwrap_err();
        assert_eq!(err, BtAuthError::ReplayCacheFull);
        assert_eq!(err.status().0, 503);
        // Once the first entry has expired there is room again.
        let later = NOW + 13 * S;
        v.verify(&signed(later), b"body", "POST", "/x?q=1", later)
            .unwrap();
    }

    proptest! {
        #[test]
        fn arbitrary_headers_never_panic(
            h in proptest::collection::vec(("(?i)x-bittensor-[a-z]{0,10}", "\\PC{0,140}"), 0..10)
        ) {
            let _ = verifier().verify(&h, b"", "GET", "/", NOW);
        }
    }
}
