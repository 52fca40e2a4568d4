//! Fixed identities, TLS binding and clock, so every run (and every crash) is reproducible.

use std::sync::LazyLock;

use axonite::Keypair;
use axonite::handshake::{HandshakeVerifier, ServerPolicy, SessionBinding};

/// The subnet the fuzzed miner serves.
pub const NETUID: u16 = 7;
/// The fixed clock: what "now" is for every handshake check.
pub const NOW_MS: u64 = 1_700_000_000_000;
/// The TLS exporter value both ends share in the fuzzed session.
pub const BINDING: SessionBinding = [0x42; 32];
/// Another session's binding: a handshake accepted on [`BINDING`] must fail on it.
pub const OTHER_BINDING: SessionBinding = [0x24; 32];

static VALIDATOR: LazyLock<Keypair> = LazyLock::new(|| Keypair::from_seed(&[0x11; 32]));
static MINER: LazyLock<Keypair> = LazyLock::new(|| Keypair::from_seed(&[0x22; 32]));

/// The validator that signed the seed handshakes.
pub fn validator() -> &'static Keypair {
    &VALIDATOR
}

/// The miner that signed the seed handshake responses and verifies requests.
pub fn miner() -> &'static Keypair {
    &MINER
}

/// A fresh verifier for [`miner`] (a new, small replay window per input, so inputs do not
/// influence each other).
pub fn verifier() -> HandshakeVerifier {
    HandshakeVerifier::new(
        miner().clone(),
        ServerPolicy::new(NETUID).with_replay_capacity(4),
    )
}
