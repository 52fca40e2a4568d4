//! The public half: a 32-byte sr25519 key shown as an SS58 address.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use sp_core::Pair as _;
use sp_core::crypto::{PublicError, Ss58AddressFormat, Ss58Codec as _};
use sp_core::sr25519;

use super::{IdentityError, SS58_PREFIX};

/// The longest SS58 string that can hold a 32-byte key (2-byte prefix + key + checksum is 36
/// bytes, 50 base58 digits), with room to spare. Longer input is refused before decoding, so
/// parsing cost stays bounded whatever the caller passes in.
const MAX_SS58_LEN: usize = 64;

/// A Bittensor hotkey: the 32-byte sr25519 public key of a neuron.
///
/// `Display`, `Debug` and [`Hotkey::to_ss58`] print the SS58 address with prefix 42
/// (`5...`). [`FromStr`] and [`Hotkey::from_ss58`] parse one.
///
/// With serde, a hotkey is an SS58 string in human-readable formats (JSON, TOML) and 32 raw
/// bytes in binary formats (MessagePack, bincode). Binary decoding also accepts a sequence of
/// 32 integers; any other length is a serde error.
///
/// Ordering and hashing follow the raw key bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hotkey([u8; 32]);

// === impl Hotkey ===

impl Hotkey {
    /// Wraps 32 raw public-key bytes. Any 32 bytes are accepted; a value that is not a valid
    /// Ristretto point simply never verifies a signature.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The raw public-key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The SS58 address with the Bittensor prefix 42, e.g.
    /// `5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY`.
    pub fn to_ss58(&self) -> String {
        sr25519::Public::from_raw(self.0)
            .to_ss58check_with_version(Ss58AddressFormat::custom(SS58_PREFIX))
    }

    /// Parses an SS58 address of a 32-byte key.
    ///
    /// Any network prefix is accepted (a Polkadot `1...` address of the same key gives the
    /// same hotkey), except the two prefixes SS58 reserves (46 and 47). The checksum must be
    /// valid. Errors say what is wrong and never echo the input.
    pub fn from_ss58(s: &str) -> Result<Self, IdentityError> {
        if s.len() > MAX_SS58_LEN {
            return Err(invalid_ss58("too long for an address of a 32-byte key"));
        }
        let (public, _prefix) =
            sr25519::Public::from_ss58check_with_version(s).map_err(|e| match e {
                PublicError::BadBase58 => invalid_ss58("not base58"),
                PublicError::BadLength => invalid_ss58("wrong length for a 32-byte key"),
                PublicError::InvalidChecksum => invalid_ss58("bad checksum"),
                PublicError::InvalidPrefix => invalid_ss58("invalid prefix"),
                PublicError::FormatNotAllowed => invalid_ss58("reserved prefix"),
                _ => invalid_ss58("malformed"),
            })?;
        Ok(Self(public.0))
    }

    /// Checks an sr25519 `signature` of `message` by this key (Substrate signing context).
    ///
    /// Returns `false` for a wrong signature, a malformed signature or a key that is not a
    /// valid curve point; it never panics.
    pub fn verify(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        sr25519::Pair::verify(
            &sr25519::Signature::from_raw(*signature),
            message,
            &sr25519::Public::from_raw(self.0),
        )
    }
}

fn invalid_ss58(reason: &str) -> IdentityError {
    IdentityError::InvalidSs58 {
        reason: reason.to_owned(),
    }
}

impl FromStr for Hotkey {
    type Err = IdentityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_ss58(s)
    }
}

impl fmt::Display for Hotkey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_ss58())
    }
}

impl fmt::Debug for Hotkey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_ss58())
    }
}

// === impl serde ===

impl Serialize for Hotkey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.serialize_str(&self.to_ss58())
        } else {
            serializer.serialize_bytes(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Hotkey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            deserializer.deserialize_str(Ss58Visitor)
        } else {
            deserializer.deserialize_bytes(BytesVisitor)
        }
    }
}

struct Ss58Visitor;

impl Visitor<'_> for Ss58Visitor {
    type Value = Hotkey;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an SS58 address")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Hotkey, E> {
        Hotkey::from_ss58(v).map_err(E::custom)
    }
}

struct BytesVisitor;

impl<'de> Visitor<'de> for BytesVisitor {
    type Value = Hotkey;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("32 bytes of an sr25519 public key")
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Hotkey, E> {
        <[u8; 32]>::try_from(v)
            .map(Hotkey)
            .map_err(|_| E::invalid_length(v.len(), &self))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Hotkey, A::Error> {
        let mut bytes = [0u8; 32];
        for (i, slot) in bytes.iter_mut().enumerate() {
            *slot = seq
                .next_element()?
                .ok_or_else(|| de::Error::invalid_length(i, &self))?;
        }
        if seq.next_element::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_length(33, &self));
        }
        Ok(Hotkey(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ALICE_SS58: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
    const ALICE_HEX: &str = "d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d";

    fn alice() -> Hotkey {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(ALICE_HEX, &mut bytes).expect("valid hex");
        Hotkey::from_bytes(bytes)
    }

    /// Replaces the last character with a different base58 digit: same length, broken checksum.
    fn with_last_char_changed(s: &str) -> String {
        let mut out: String = s[..s.len() - 1].to_owned();
        out.push(if s.ends_with('2') { '3' } else { '2' });
        out
    }

    #[test]
    fn known_public_key_has_the_known_address() {
        assert_eq!(alice().to_ss58(), ALICE_SS58);
        assert_eq!(Hotkey::from_ss58(ALICE_SS58), Ok(alice()));
        assert_eq!(ALICE_SS58.parse::<Hotkey>(), Ok(alice()));
    }

    #[test]
    fn display_and_debug_print_the_ss58_address() {
        assert_eq!(alice().to_string(), ALICE_SS58);
        assert_eq!(format!("{:?}", alice()), ALICE_SS58);
    }

    #[test]
    fn address_with_another_prefix_parses_to_the_same_key() {
        let polkadot = sr25519::Public::from_raw(alice().0).to_ss58check_with_version(0u16.into());
        assert!(polkadot.starts_with('1'));
        assert_eq!(Hotkey::from_ss58(&polkadot), Ok(alice()));
    }

    #[test]
    fn bad_checksum_is_rejected() {
        let broken = with_last_char_changed(ALICE_SS58);
        assert_eq!(
            Hotkey::from_ss58(&broken),
            Err(IdentityError::InvalidSs58 {
                reason: "bad checksum".into()
            })
        );
    }

    #[test]
    fn wrong_length_is_rejected() {
        let short = &ALICE_SS58[..40];
        assert_eq!(
            Hotkey::from_ss58(short),
            Err(IdentityError::InvalidSs58 {
                reason: "wrong length for a 32-byte key".into()
            })
        );
        let long = "5".repeat(1000);
        assert!(matches!(
            Hotkey::from_ss58(&long),
            Err(IdentityError::InvalidSs58 { .. })
        ));
    }

    #[test]
    fn non_base58_is_rejected() {
        // `0`, `O`, `I` and `l` are not base58 digits.
        let err = Hotkey::from_ss58("0OIl").expect_err("not base58");
        assert_eq!(
            err,
            IdentityError::InvalidSs58 {
                reason: "not base58".into()
            }
        );
        assert!(!err.to_string().contains("0OIl"));
    }

    #[test]
    fn reserved_prefix_is_rejected() {
        let reserved = sr25519::Public::from_raw(alice().0).to_ss58check_with_version(46u16.into());
        assert!(Hotkey::from_ss58(&reserved).is_err());
    }

    #[test]
    fn json_uses_the_ss58_string() {
        let json = serde_json::to_string(&alice()).expect("serialize");
        assert_eq!(json, format!("\"{ALICE_SS58}\""));
        let back: Hotkey = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, alice());
    }

    #[test]
    fn json_with_a_bad_address_fails_cleanly() {
        let bad = format!("\"{}\"", with_last_char_changed(ALICE_SS58));
        assert!(serde_json::from_str::<Hotkey>(&bad).is_err());
        assert!(serde_json::from_str::<Hotkey>("42").is_err());
    }

    #[test]
    fn msgpack_uses_32_raw_bytes() {
        let bin = rmp_serde::to_vec(&alice()).expect("serialize");
        // bin8 marker, length 32, then the key.
        assert_eq!(&bin[..2], &[0xc4, 32]);
        assert_eq!(&bin[2..], alice().as_bytes());
        let back: Hotkey = rmp_serde::from_slice(&bin).expect("deserialize");
        assert_eq!(back, alice());
    }

    #[test]
    fn msgpack_accepts_a_sequence_of_32_integers() {
        let seq = rmp_serde::to_vec(&alice().0.to_vec()).expect("serialize");
        let back: Hotkey = rmp_serde::from_slice(&seq).expect("deserialize");
        assert_eq!(back, alice());
    }

    #[test]
    fn msgpack_of_wrong_length_fails_cleanly() {
        for len in [0usize, 1, 31, 33, 64] {
            let bytes = serde_bytes::ByteBuf::from(vec![7u8; len]);
            let bin = rmp_serde::to_vec(&bytes).expect("serialize");
            assert!(
                rmp_serde::from_slice::<Hotkey>(&bin).is_err(),
                "bytes {len}"
            );

            let seq = rmp_serde::to_vec(&vec![7u8; len]).expect("serialize");
            assert!(rmp_serde::from_slice::<Hotkey>(&seq).is_err(), "seq {len}");
        }
    }

    #[test]
    fn hotkey_is_usable_as_a_map_key_and_sorts_by_bytes() {
        let a = Hotkey::from_bytes([1; 32]);
        let b = Hotkey::from_bytes([2; 32]);
        assert!(a < b);
        let set: std::collections::HashSet<Hotkey> = [a, b, a].into_iter().collect();
        assert_eq!(set.len(), 2);
    }

    proptest! {
        #[test]
        fn ss58_round_trips_any_key(bytes in any::<[u8; 32]>()) {
            let key = Hotkey::from_bytes(bytes);
            let ss58 = key.to_ss58();
            prop_assert!(ss58.starts_with('5'));
            prop_assert_eq!(Hotkey::from_ss58(&ss58), Ok(key));
        }

        #[test]
        fn serde_round_trips_any_key(bytes in any::<[u8; 32]>()) {
            let key = Hotkey::from_bytes(bytes);
            let json = serde_json::to_string(&key).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(serde_json::from_str::<Hotkey>(&json).ok(), Some(key));
            let bin = rmp_serde::to_vec(&key).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(rmp_serde::from_slice::<Hotkey>(&bin).ok(), Some(key));
        }

        #[test]
        fn garbage_strings_are_rejected_without_panic(s in any::<String>()) {
            // Almost every string is invalid; the point is that none panics.
            if let Ok(key) = Hotkey::from_ss58(&s) {
                prop_assert_eq!(Hotkey::from_ss58(&key.to_ss58()), Ok(key));
            }
        }

        #[test]
        fn base58_garbage_is_rejected_without_panic(s in "[1-9A-HJ-NP-Za-km-z]{0,60}") {
            let _ = Hotkey::from_ss58(&s);
        }

        #[test]
        fn arbitrary_binary_input_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = rmp_serde::from_slice::<Hotkey>(&bytes);
        }

        #[test]
        fn verify_never_panics_on_arbitrary_input(
            key in any::<[u8; 32]>(),
            sig in proptest::collection::vec(any::<u8>(), 64),
            msg in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let mut signature = [0u8; 64];
            signature.copy_from_slice(&sig);
            prop_assert!(!Hotkey::from_bytes(key).verify(&msg, &signature));
        }
    }
}
