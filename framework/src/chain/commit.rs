//! The hash a validator commits before revealing its weights.

use sp_core::{Blake2Hasher, Encode as _, Hasher as _};

use crate::identity::Hotkey;

/// The commit hash of a weight reveal, exactly as the subtensor pallet recomputes it in
/// `reveal_weights`:
///
/// ```text
/// blake2_256( SCALE( account: [u8; 32], netuid: u16, uids: Vec<u16>, values: Vec<u16>,
///                    salt: Vec<u16>, version_key: u64 ) )
/// ```
///
/// SCALE writes the account as its 32 raw bytes, integers little-endian, and each vector as
/// a compact length followed by its items. `account` is the hotkey that signs both the commit
/// and the reveal; the reveal must repeat `uids`, `values`, `salt` and `version_key` exactly.
/// (Runtimes with several mechanisms per subnet hash the mechanism's storage index instead of
/// the netuid; for the main mechanism the two are equal.)
///
/// ```
/// use axonite::chain::commit_hash;
/// use axonite::Keypair;
///
/// let hotkey = Keypair::generate().hotkey();
/// let a = commit_hash(&hotkey, 1, &[0, 1], &[65535, 100], &[7, 8, 9], 0);
/// let b = commit_hash(&hotkey, 1, &[0, 1], &[65535, 100], &[7, 8, 10], 0);
/// assert_ne!(a, b, "the salt changes the hash");
/// ```
pub fn commit_hash(
    account: &Hotkey,
    netuid: u16,
    uids: &[u16],
    values: &[u16],
    salt: &[u16],
    version_key: u64,
) -> [u8; 32] {
    let encoded = (account.as_bytes(), netuid, uids, values, salt, version_key).encode();
    Blake2Hasher::hash(&encoded).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Keypair;

    /// //Alice's public key.
    const ALICE: &str = "d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d";

    fn alice() -> Hotkey {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(ALICE, &mut bytes).expect("valid hex");
        Hotkey::from_bytes(bytes)
    }

    /// The SCALE bytes written out by hand: account, netuid 1 (LE), uids [0, 1] (compact
    /// length 2 = 0x08), values [65535, 100], salt [1, 2, 3] (compact 3 = 0x0c),
    /// version_key 0 (8 bytes LE).
    fn hand_encoded() -> Vec<u8> {
        let mut bytes = hex::decode(ALICE).expect("valid hex");
        bytes.extend([0x01, 0x00]);
        bytes.extend([0x08, 0x00, 0x00, 0x01, 0x00]);
        bytes.extend([0x08, 0xff, 0xff, 0x64, 0x00]);
        bytes.extend([0x0c, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00]);
        bytes.extend([0; 8]);
        bytes
    }

    /// blake2b-256 of `hand_encoded()`, computed independently of this crate (Python
    /// `hashlib.blake2b(data, digest_size=32)`).
    const KNOWN_HASH: &str = "b5d0ac2fa4b8d096d04cf265a779a182d54ede44bdc0f996f56c065168f4036f";

    #[test]
    fn encoding_matches_scale_written_by_hand() {
        let encoded = (
            alice().as_bytes(),
            1u16,
            &[0u16, 1][..],
            &[65535u16, 100][..],
            &[1u16, 2, 3][..],
            0u64,
        )
            .encode();
        assert_eq!(encoded, hand_encoded());
    }

    #[test]
    fn hash_matches_a_known_vector() {
        let got = commit_hash(&alice(), 1, &[0, 1], &[65535, 100], &[1, 2, 3], 0);
        assert_eq!(hex::encode(got), KNOWN_HASH);
        assert_eq!(Blake2Hasher::hash(&hand_encoded()).0, got);
    }

    #[test]
    fn every_input_changes_the_hash() {
        let key = alice();
        let base = commit_hash(&key, 1, &[0, 1], &[10, 20], &[5], 7);
        let other = Keypair::generate().hotkey();
        assert_ne!(base, commit_hash(&other, 1, &[0, 1], &[10, 20], &[5], 7));
        assert_ne!(base, commit_hash(&key, 2, &[0, 1], &[10, 20], &[5], 7));
        assert_ne!(base, commit_hash(&key, 1, &[0, 2], &[10, 20], &[5], 7));
        assert_ne!(base, commit_hash(&key, 1, &[0, 1], &[10, 21], &[5], 7));
        assert_ne!(base, commit_hash(&key, 1, &[0, 1], &[10, 20], &[6], 7));
        assert_ne!(base, commit_hash(&key, 1, &[0, 1], &[10, 20], &[5], 8));
    }
}
