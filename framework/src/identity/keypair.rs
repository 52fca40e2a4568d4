//! The secret half: an sr25519 keypair that remembers its seed.

use std::fmt;

use rand::rngs::OsRng;
use rand::{RngCore as _, TryRngCore as _};
use sp_core::Pair as _;
use sp_core::sr25519;
use zeroize::Zeroizing;

use super::{Hotkey, IdentityError};

/// An sr25519 keypair: the secret behind a [`Hotkey`].
///
/// It keeps the 32-byte seed (the schnorrkel "mini secret key") next to the expanded pair so
/// that it can be written back to a wallet file with
/// [`write_hotkey_file`](super::write_hotkey_file). The seed lives in a
/// [`Zeroizing`] buffer and is wiped when the keypair is dropped.
///
/// `Debug` prints only `Keypair(<ss58 address>)`; there is no `Display`, and no method
/// other than [`Keypair::seed`] and [`Keypair::pair`] exposes secret material.
#[derive(Clone)]
pub struct Keypair {
    pair: sr25519::Pair,
    seed: Zeroizing<[u8; 32]>,
}

// === impl Keypair ===

impl Keypair {
    /// Generates a new keypair from 32 bytes of the operating system's random number
    /// generator.
    ///
    /// # Panics
    ///
    /// Only if the operating system cannot provide randomness, in which case no key can be
    /// made safely.
    pub fn generate() -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        OsRng.unwrap_err().fill_bytes(seed.as_mut());
        Self::from_seed(&seed)
    }

    /// Builds the keypair for a 32-byte seed (a schnorrkel mini secret key, the `secretSeed`
    /// of a wallet file). The same seed always gives the same keypair.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self {
            pair: sr25519::Pair::from_seed(seed),
            seed: Zeroizing::new(*seed),
        }
    }

    /// Parses a seed written as 64 hex digits, with or without a `0x` prefix; surrounding
    /// whitespace is ignored.
    ///
    /// The error never contains the input.
    pub fn from_seed_hex(hex: &str) -> Result<Self, IdentityError> {
        let hex = hex.trim();
        let hex = hex
            .strip_prefix("0x")
            .or_else(|| hex.strip_prefix("0X"))
            .unwrap_or(hex);
        let mut seed = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(hex, seed.as_mut()).map_err(|_| IdentityError::InvalidSeed)?;
        Ok(Self::from_seed(&seed))
    }

    /// Recovers the keypair from an English BIP39 mnemonic without a password, exactly as
    /// `btcli wallet regen_hotkey` and the Python SDK do.
    ///
    /// The error never contains the phrase.
    pub fn from_phrase(phrase: &str) -> Result<Self, IdentityError> {
        let (_, seed) =
            sr25519::Pair::from_phrase(phrase, None).map_err(|_| IdentityError::InvalidPhrase)?;
        let seed = Zeroizing::new(seed);
        Ok(Self::from_seed(&seed))
    }

    /// Builds a keypair from a Substrate secret URI, typically a development account such as
    /// `//Alice` or `//Bob` (the public development phrase with a hard junction).
    ///
    /// Any secret URI accepted by `sp_core` works (`<phrase>//hard///password`, `0x<seed>`),
    /// as long as it has only hard junctions: a soft junction (`/name`) yields a key without a
    /// seed and is refused with [`IdentityError::UriWithoutSeed`].
    ///
    /// The error never contains the URI.
    pub fn from_dev_uri(uri: &str) -> Result<Self, IdentityError> {
        let (_, seed) = sr25519::Pair::from_string_with_seed(uri, None)
            .map_err(|_| IdentityError::InvalidUri)?;
        let seed = Zeroizing::new(seed.ok_or(IdentityError::UriWithoutSeed)?);
        Ok(Self::from_seed(&seed))
    }

    /// The public key of this pair: its Bittensor hotkey.
    pub fn hotkey(&self) -> Hotkey {
        Hotkey::from_bytes(self.pair.public().0)
    }

    /// Signs `message` with the Substrate sr25519 signing context. The signature verifies
    /// with [`Hotkey::verify`], on chain and in the Python SDK.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.pair.sign(message).into()
    }

    /// The 32-byte seed this keypair was built from.
    ///
    /// **Secret**: whoever has it controls the hotkey. Never log, print or send it; it is
    /// exposed only to write wallet files.
    pub fn seed(&self) -> &[u8; 32] {
        &self.seed
    }

    /// The underlying `sp_core` pair, for signing chain extrinsics.
    pub fn pair(&self) -> &sr25519::Pair {
        &self.pair
    }
}

impl fmt::Debug for Keypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Keypair({})", self.hotkey())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE_SS58: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
    const BOB_SS58: &str = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty";

    fn alice() -> Keypair {
        Keypair::from_dev_uri("//Alice").expect("//Alice is a valid dev URI")
    }

    #[test]
    fn dev_uris_give_the_well_known_addresses() {
        assert_eq!(alice().hotkey().to_ss58(), ALICE_SS58);
        let bob = Keypair::from_dev_uri("//Bob").expect("//Bob is a valid dev URI");
        assert_eq!(bob.hotkey().to_ss58(), BOB_SS58);
    }

    #[test]
    fn dev_uri_seed_rebuilds_the_same_pair_as_sp_core() {
        let kp = alice();
        let sp = sr25519::Pair::from_string("//Alice", None).expect("valid");
        assert_eq!(kp.pair().public(), sp.public());
        assert_eq!(Keypair::from_seed(kp.seed()).hotkey(), kp.hotkey());
    }

    #[test]
    fn soft_junction_uri_is_refused_for_lack_of_seed() {
        assert_eq!(
            Keypair::from_dev_uri("//Alice/soft").map(|k| k.hotkey()),
            Err(IdentityError::UriWithoutSeed)
        );
    }

    #[test]
    fn malformed_uri_is_rejected_without_echoing_it() {
        let uri = "not a phrase at all//x";
        let err = Keypair::from_dev_uri(uri).expect_err("must fail");
        assert_eq!(err, IdentityError::InvalidUri);
        assert!(!err.to_string().contains("phrase at all"));
    }

    #[test]
    fn signature_round_trips() {
        let kp = Keypair::generate();
        let sig = kp.sign(b"axon request");
        assert!(kp.hotkey().verify(b"axon request", &sig));
    }

    #[test]
    fn signature_does_not_verify_under_another_key() {
        let sig = alice().sign(b"axon request");
        let other = Keypair::generate().hotkey();
        assert!(!other.verify(b"axon request", &sig));
    }

    #[test]
    fn signature_does_not_verify_a_tampered_message() {
        let kp = alice();
        let sig = kp.sign(b"pay 1 tao");
        assert!(!kp.hotkey().verify(b"pay 9 tao", &sig));
    }

    #[test]
    fn tampered_signature_does_not_verify() {
        let kp = alice();
        let mut sig = kp.sign(b"hello");
        sig[10] ^= 1;
        assert!(!kp.hotkey().verify(b"hello", &sig));
    }

    #[test]
    fn generated_keys_differ() {
        assert_ne!(Keypair::generate().hotkey(), Keypair::generate().hotkey());
    }

    #[test]
    fn seed_hex_is_accepted_with_and_without_prefix() {
        let kp = alice();
        let plain = hex::encode(kp.seed());
        let a = Keypair::from_seed_hex(&plain).expect("plain hex");
        let b = Keypair::from_seed_hex(&format!("0x{plain}")).expect("0x hex");
        let c = Keypair::from_seed_hex(&format!(" 0x{plain}\n")).expect("padded hex");
        assert_eq!(a.hotkey(), kp.hotkey());
        assert_eq!(b.hotkey(), kp.hotkey());
        assert_eq!(c.hotkey(), kp.hotkey());
    }

    #[test]
    fn bad_seed_hex_is_rejected_without_echoing_it() {
        let short = "0xdeadbeefcafebabe";
        let err = Keypair::from_seed_hex(short).expect_err("too short");
        assert_eq!(err, IdentityError::InvalidSeed);
        assert!(!err.to_string().contains("deadbeef"));

        let not_hex = format!("0x{}", "zz".repeat(32));
        assert_eq!(
            Keypair::from_seed_hex(&not_hex).map(|k| k.hotkey()),
            Err(IdentityError::InvalidSeed)
        );
        let too_long = "ab".repeat(33);
        assert_eq!(
            Keypair::from_seed_hex(&too_long).map(|k| k.hotkey()),
            Err(IdentityError::InvalidSeed)
        );
    }

    #[test]
    fn phrase_recovers_the_same_key_as_sp_core() {
        let (pair, phrase, seed) = sr25519::Pair::generate_with_phrase(None);
        let kp = Keypair::from_phrase(&phrase).expect("generated phrase is valid");
        assert_eq!(kp.pair().public(), pair.public());
        assert_eq!(kp.seed(), &seed);
    }

    #[test]
    fn bad_phrase_is_rejected_without_echoing_it() {
        let phrase = "bottom drive obey lake curtain smoke basket hold race lonely fit axonite";
        let err = Keypair::from_phrase(phrase).expect_err("bad checksum word");
        assert_eq!(err, IdentityError::InvalidPhrase);
        let text = format!("{err} {err:?}");
        assert!(!text.contains("bottom"));
        assert!(!text.contains("lonely"));
    }

    #[test]
    fn debug_output_never_contains_the_seed() {
        let kp = Keypair::generate();
        let seed_hex = hex::encode(kp.seed());
        let debug = format!("{kp:?} {kp:#?}");
        assert!(!debug.contains(&seed_hex));
        assert!(!debug.to_lowercase().contains(&seed_hex[..16]));
        assert_eq!(format!("{kp:?}"), format!("Keypair({})", kp.hotkey()));
    }

    #[test]
    fn clone_keeps_the_same_key() {
        let kp = alice();
        let copy = kp.clone();
        assert_eq!(copy.hotkey(), kp.hotkey());
        assert_eq!(copy.seed(), kp.seed());
    }
}
