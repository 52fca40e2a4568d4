//! NaCl-encrypted keyfiles (`$NACL`), as the bittensor SDK (`bittensor-wallet`, `btcli`)
//! writes them when a key gets a password.
//!
//! Layout: the ASCII prefix `$NACL`, a 24-byte nonce, then a NaCl `secretbox`
//! (XSalsa20-Poly1305) of the plain JSON keyfile: a 16-byte Poly1305 tag followed by the
//! ciphertext. The 32-byte key is Argon2i (version 0x13, one lane) of the password with a
//! salt fixed by the SDK, at libsodium's `OPSLIMIT_SENSITIVE` (8 passes) and
//! `MEMLIMIT_SENSITIVE` (512 MiB). Every file shares that salt, so the memory cost is the
//! whole defence against guessing: deriving one key takes seconds and 512 MiB here too.

use std::path::Path;

use argon2::{Algorithm, Argon2, Block, Params, Version};
use crypto_secretbox::aead::{AeadInPlace, KeyInit};
use crypto_secretbox::{Key, Nonce, XSalsa20Poly1305};
use zeroize::Zeroizing;

use super::wallet::{WalletError, malformed};

/// What an encrypted keyfile starts with.
pub(crate) const NACL_PREFIX: &[u8] = b"$NACL";

/// The salt of every SDK keyfile (`NACL_SALT` in the SDK): 16 fixed bytes.
const SALT: [u8; 16] = [
    0x13, 0x71, 0x83, 0xdf, 0xf1, 0x5a, 0x09, 0xbc, 0x9c, 0x90, 0xb5, 0x51, 0x87, 0x39, 0xe9, 0xb1,
];

/// libsodium's `crypto_pwhash_argon2i_OPSLIMIT_SENSITIVE`: passes over memory.
const PASSES: u32 = 8;

/// libsodium's `crypto_pwhash_argon2i_MEMLIMIT_SENSITIVE` (512 MiB) in the KiB that Argon2
/// counts memory in; libsodium divides its byte limit by 1024.
const MEMORY_KIB: u32 = 512 * 1024;

const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// The part of a `$NACL` keyfile after the prefix: a nonce and a sealed box.
pub(crate) struct NaclBox<'a> {
    nonce: Nonce,
    /// The Poly1305 tag, then the ciphertext.
    sealed: &'a [u8],
}

impl<'a> NaclBox<'a> {
    /// Splits `body` (what follows `$NACL`). A body too short to hold a nonce and a tag is
    /// [`WalletError::Malformed`]: checked before any password is asked for. `path` is only
    /// used in errors.
    pub(crate) fn parse(path: &Path, body: &'a [u8]) -> Result<Self, WalletError> {
        if body.len() < NONCE_LEN + TAG_LEN {
            return Err(malformed(
                path,
                "NaCl-encrypted data is shorter than a nonce and an authentication tag",
            ));
        }
        let (nonce, sealed) = body.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce
            .try_into()
            .map_err(|_| malformed(path, "NaCl nonce is not 24 bytes"))?;
        Ok(Self {
            nonce: Nonce::from(nonce),
            sealed,
        })
    }

    /// Derives the key from `password` and returns the plain keyfile (JSON).
    ///
    /// A tag that does not verify is [`WalletError::WrongPassword`]: a wrong password and a
    /// damaged file cannot be told apart.
    pub(crate) fn open(
        &self,
        path: &Path,
        password: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, WalletError> {
        let key = derive_key(path, password)?;
        open_with_key(path, &key, &self.nonce, self.sealed)
    }
}

/// Argon2i v0x13 of `password` with the SDK's salt and limits: the secretbox key.
fn derive_key(path: &Path, password: &[u8]) -> Result<Zeroizing<Key>, WalletError> {
    let params = Params::new(MEMORY_KIB, PASSES, 1, Some(32))
        .map_err(|e| malformed(path, &format!("Argon2 parameters rejected: {e}")))?;
    let count = params.block_count();
    let argon2 = Argon2::new(Algorithm::Argon2i, Version::V0x13, params);

    // The 512 MiB of blocks are derived from the password: allocated here so that a machine
    // short of memory gets an error instead of an abort, and wiped before they are freed.
    let mut blocks: Zeroizing<Vec<Block>> = Zeroizing::new(Vec::new());
    blocks
        .try_reserve_exact(count)
        .map_err(|_| WalletError::Unreadable {
            path: path.to_path_buf(),
            reason: "not enough memory for the 512 MiB key derivation".into(),
        })?;
    blocks.resize(count, Block::default());

    let mut key = Zeroizing::new(Key::default());
    argon2
        .hash_password_into_with_memory(password, &SALT, &mut key[..], &mut blocks[..])
        .map_err(|e| malformed(path, &format!("key derivation failed: {e}")))?;
    Ok(key)
}

/// Opens the secretbox `sealed` (tag, then ciphertext) with `key`.
fn open_with_key(
    path: &Path,
    key: &Key,
    nonce: &Nonce,
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, WalletError> {
    // Decrypted in place: the buffer that ends up holding the plaintext is wiped on drop.
    let mut data = Zeroizing::new(sealed.to_vec());
    XSalsa20Poly1305::new(key)
        .decrypt_in_place(nonce, b"", &mut *data)
        .map_err(|_| WalletError::WrongPassword {
            path: path.to_path_buf(),
        })?;
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crypto_secretbox::aead::Aead;
    use proptest::prelude::*;

    fn sealed_with(key: &Key, nonce: &Nonce, plaintext: &[u8]) -> Vec<u8> {
        XSalsa20Poly1305::new(key)
            .encrypt(nonce, plaintext)
            .expect("encrypt")
    }

    #[test]
    fn bodies_shorter_than_nonce_and_tag_are_malformed() {
        for len in [0, 1, NONCE_LEN, NONCE_LEN + TAG_LEN - 1] {
            let err = NaclBox::parse(Path::new("k"), &vec![7; len])
                .err()
                .expect("short");
            assert!(
                matches!(err, WalletError::Malformed { .. }),
                "{len}: {err:?}"
            );
        }
        assert!(NaclBox::parse(Path::new("k"), &[7; NONCE_LEN + TAG_LEN]).is_ok());
    }

    #[test]
    fn secretbox_layer_opens_what_it_sealed_and_rejects_any_flipped_bit() {
        let key = Key::from([9; 32]);
        let nonce = Nonce::from([3; NONCE_LEN]);
        let sealed = sealed_with(&key, &nonce, b"{\"k\": 1}");
        assert_eq!(sealed.len(), TAG_LEN + 8);
        let opened = open_with_key(Path::new("k"), &key, &nonce, &sealed).expect("open");
        assert_eq!(&opened[..], b"{\"k\": 1}");
        for byte in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[byte] ^= 0x01;
            assert_eq!(
                open_with_key(Path::new("k"), &key, &nonce, &bad),
                Err(WalletError::WrongPassword { path: "k".into() })
            );
        }
    }

    #[test]
    fn argon2_parameters_are_libsodium_sensitive_limits() {
        let params = Params::new(MEMORY_KIB, PASSES, 1, Some(32)).expect("valid");
        assert_eq!(params.block_count() * 1024, 536_870_912);
        assert_eq!(params.t_cost(), 8);
        assert_eq!(params.p_cost(), 1);
        assert_eq!(&SALT, b"\x13q\x83\xdf\xf1Z\t\xbc\x9c\x90\xb5Q\x879\xe9\xb1");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_bodies_split_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
            let parsed = NaclBox::parse(Path::new("k"), &bytes);
            prop_assert_eq!(parsed.is_ok(), bytes.len() >= NONCE_LEN + TAG_LEN);
        }

        #[test]
        fn arbitrary_sealed_bytes_never_open_under_a_key(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
            let key = Key::from([1; 32]);
            let nonce = Nonce::from([2; NONCE_LEN]);
            prop_assert!(open_with_key(Path::new("k"), &key, &nonce, &bytes).is_err());
        }
    }
}
