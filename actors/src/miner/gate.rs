//! Which validators may complete a miner's handshake.

use axonite::Hotkey;
use axonite::directory::{ValidatorDirectory, ValidatorInfo};

/// Who may complete the handshake, judged from the miner's [`ValidatorDirectory`] (the
/// metagraph, when the miner follows a chain). Checked at the handshake, and again before a
/// connection's next request whenever the directory changed: a validator that is
/// deregistered or loses its permit has its connections closed ([`CloseCode::Revoked`]).
///
/// [`CloseCode::Revoked`]: axonite::protocol::CloseCode::Revoked
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidatorGate {
    /// The validator must be known to the directory (registered on the subnet).
    pub require_registered: bool,
    /// The validator must hold a validator permit.
    pub require_permit: bool,
    /// The validator's stake must be at least this.
    pub min_stake: f64,
}

impl ValidatorGate {
    /// Admits every validator that proves its hotkey (static setups without a chain).
    pub const OPEN: Self = Self {
        require_registered: false,
        require_permit: false,
        min_stake: 0.0,
    };

    /// What a miner on a chain admits by default: registered validators with a permit.
    pub const PERMITTED: Self = Self {
        require_registered: true,
        require_permit: true,
        min_stake: 0.0,
    };

    /// Looks `hotkey` up and decides. `Ok` carries what is known of the validator.
    pub(crate) fn admit(
        &self,
        directory: Option<&dyn ValidatorDirectory>,
        hotkey: &Hotkey,
    ) -> Result<Option<ValidatorInfo>, String> {
        let info = directory.and_then(|d| d.lookup(hotkey));
        let needs_info = self.require_registered || self.require_permit || self.min_stake > 0.0;
        match info {
            None if needs_info => Err("not a registered validator on this subnet".to_owned()),
            Some(i) if self.require_permit && !i.validator_permit => {
                Err("no validator permit".to_owned())
            }
            Some(i) if i.stake < self.min_stake => Err(format!(
                "stake {:.3} is below the minimum {:.3}",
                i.stake, self.min_stake
            )),
            info => Ok(info),
        }
    }
}

impl Default for ValidatorGate {
    fn default() -> Self {
        Self::OPEN
    }
}

#[cfg(test)]
mod tests {
    use axonite::Keypair;
    use axonite::directory::StaticDirectory;

    use super::*;

    #[test]
    fn the_gate_checks_registration_permit_and_stake() {
        let (permitted, unpermitted, poor, stranger) = (
            Keypair::generate().hotkey(),
            Keypair::generate().hotkey(),
            Keypair::generate().hotkey(),
            Keypair::generate().hotkey(),
        );
        let directory = StaticDirectory::new([
            (permitted, ValidatorInfo::new(0, 100.0, true)),
            (unpermitted, ValidatorInfo::new(1, 100.0, false)),
            (poor, ValidatorInfo::new(2, 1.0, true)),
        ]);
        let d: Option<&dyn ValidatorDirectory> = Some(&directory);
        let gate = ValidatorGate {
            min_stake: 10.0,
            ..ValidatorGate::PERMITTED
        };
        assert!(gate.admit(d, &permitted).is_ok());
        assert_eq!(
            gate.admit(d, &unpermitted),
            Err("no validator permit".into())
        );
        assert!(
            gate.admit(d, &poor)
                .unwrap_err()
                .contains("below the minimum")
        );
        assert!(
            gate.admit(d, &stranger)
                .unwrap_err()
                .contains("not a registered")
        );
        // Open: strangers pass, and known validators still bring their info.
        assert_eq!(ValidatorGate::OPEN.admit(d, &stranger), Ok(None));
        assert_eq!(
            ValidatorGate::OPEN
                .admit(d, &permitted)
                .unwrap()
                .map(|i| i.uid),
            Some(Some(0))
        );
        // Without a directory, a gate that needs facts refuses.
        assert!(ValidatorGate::PERMITTED.admit(None, &permitted).is_err());
    }
}
