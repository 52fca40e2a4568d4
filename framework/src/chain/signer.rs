//! Signing extrinsics with an Axonite [`Keypair`].

use std::fmt;

use subxt::SubstrateConfig;
use subxt::tx::Signer;
use subxt::utils::{AccountId32, MultiSignature};

use crate::identity::Keypair;

/// Signs extrinsics with a borrowed [`Keypair`] (sr25519, `MultiSignature::Sr25519`), for
/// subxt's [`Signer`] trait under [`SubstrateConfig`].
///
/// It borrows the keypair rather than copying its secret, and prints only the account
/// address.
///
/// ```
/// use axonite::chain::ChainSigner;
/// use axonite::Keypair;
/// use subxt::tx::Signer as _;
///
/// let alice = Keypair::from_dev_uri("//Alice")?;
/// let signer = ChainSigner::new(&alice);
/// assert_eq!(signer.account_id().0, *alice.hotkey().as_bytes());
/// # Ok::<(), axonite::identity::IdentityError>(())
/// ```
#[derive(Clone, Copy)]
pub struct ChainSigner<'a> {
    keypair: &'a Keypair,
}

impl<'a> ChainSigner<'a> {
    /// A signer for `keypair`.
    pub fn new(keypair: &'a Keypair) -> Self {
        Self { keypair }
    }
}

impl Signer<SubstrateConfig> for ChainSigner<'_> {
    fn account_id(&self) -> AccountId32 {
        AccountId32(*self.keypair.hotkey().as_bytes())
    }

    fn sign(&self, signer_payload: &[u8]) -> MultiSignature {
        MultiSignature::Sr25519(self.keypair.sign(signer_payload))
    }
}

impl fmt::Debug for ChainSigner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChainSigner({})", self.keypair.hotkey())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_under_the_account_key() {
        let keypair = Keypair::generate();
        let signer = ChainSigner::new(&keypair);
        let MultiSignature::Sr25519(signature) = signer.sign(b"payload") else {
            panic!("expected an sr25519 signature");
        };
        assert!(keypair.hotkey().verify(b"payload", &signature));
        assert_eq!(signer.account_id().0, *keypair.hotkey().as_bytes());
    }

    #[test]
    fn debug_shows_the_address_only() {
        let keypair = Keypair::generate();
        let debug = format!("{:?}", ChainSigner::new(&keypair));
        assert_eq!(debug, format!("ChainSigner({})", keypair.hotkey()));
        assert!(!debug.contains(&hex::encode(keypair.seed())));
    }
}
