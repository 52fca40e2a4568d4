//! Who the validators are: the narrow view of the metagraph a miner needs.
//!
//! A miner looks the caller up right after the handshake proved its hotkey, and again when
//! the directory changes, and hands the result to every handler as
//! [`Caller`](crate::Caller) fields (uid, stake, permit), which also feed the default
//! priority and the rate-limit tier. Without a chain, a
//! [`StaticDirectory`] lists the validators; with a chain, the metagraph implements
//! [`ValidatorDirectory`].
//!
//! ```
//! use axonite::directory::{StaticDirectory, ValidatorDirectory, ValidatorInfo};
//! use axonite::Keypair;
//!
//! let validator = Keypair::generate().hotkey();
//! let directory = StaticDirectory::new([(validator, ValidatorInfo::new(0, 1_000.0, true))]);
//! assert_eq!(directory.lookup(&validator).map(|v| v.stake), Some(1_000.0));
//! assert!(directory.lookup(&Keypair::generate().hotkey()).is_none());
//! ```

use std::collections::HashMap;

use crate::identity::Hotkey;

/// What is known of one validator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidatorInfo {
    /// Its uid on the subnet.
    pub uid: Option<u16>,
    /// Its stake (TAO or alpha, as the source reports).
    pub stake: f64,
    /// Whether it holds a validator permit.
    pub validator_permit: bool,
}

impl ValidatorInfo {
    /// A registered validator.
    pub fn new(uid: u16, stake: f64, validator_permit: bool) -> Self {
        Self {
            uid: Some(uid),
            stake,
            validator_permit,
        }
    }
}

/// Looks validators up by hotkey. A miner calls [`lookup`](Self::lookup) once per
/// connection, and again before a connection's next request only when
/// [`generation`](Self::generation) has moved, so a lookup may cost a map access but the
/// generation must be cheap.
pub trait ValidatorDirectory: Send + Sync + 'static {
    /// What is known of `hotkey`; `None` when it is not a known validator.
    fn lookup(&self, hotkey: &Hotkey) -> Option<ValidatorInfo>;

    /// Changes whenever a lookup may answer differently (a new metagraph snapshot). The
    /// default, for directories that never change, is always 0.
    fn generation(&self) -> u64 {
        0
    }
}

/// A fixed table of validators, for static (no-chain) setups and tests.
#[derive(Debug, Clone, Default)]
pub struct StaticDirectory {
    validators: HashMap<Hotkey, ValidatorInfo>,
}

impl StaticDirectory {
    /// A directory holding `validators`.
    pub fn new(validators: impl IntoIterator<Item = (Hotkey, ValidatorInfo)>) -> Self {
        Self {
            validators: validators.into_iter().collect(),
        }
    }

    /// Adds or replaces one validator.
    pub fn insert(&mut self, hotkey: Hotkey, info: ValidatorInfo) {
        self.validators.insert(hotkey, info);
    }
}

impl ValidatorDirectory for StaticDirectory {
    fn lookup(&self, hotkey: &Hotkey) -> Option<ValidatorInfo> {
        self.validators.get(hotkey).copied()
    }
}
