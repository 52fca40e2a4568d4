//! One registered neuron of a subnet, as the chain saw it at one block.

use crate::identity::Hotkey;

use super::AxonInfo;

/// A neuron: one uid of a subnet and what the chain stores about it.
///
/// Scores the pallet keeps as `u16` fractions of `u16::MAX` are normalised to `0.0..=1.0`;
/// they are `None` when the runtime has no such storage item (or no value for this uid).
/// Stakes and emissions are in TAO/alpha units (rao / 10⁹); the raw rao integer of the stake
/// is kept in [`Neuron::stake_rao`] for exact comparisons.
#[derive(Debug, Clone, PartialEq)]
pub struct Neuron {
    /// The neuron's uid on the subnet (its index in the pallet's per-subnet vectors).
    pub uid: u16,
    /// The neuron's hotkey, which signs its extrinsics and its Axonite handshakes.
    pub hotkey: Hotkey,
    /// The coldkey that owns the hotkey. An `AccountId32` like any other, so it shares the
    /// [`Hotkey`] type (32 bytes shown as SS58); it never signs anything here.
    pub coldkey: Hotkey,
    /// Stake behind the hotkey on this subnet, in alpha units on dTAO runtimes
    /// (`TotalHotkeyAlpha`) or TAO on older ones.
    pub stake: f64,
    /// The same stake in rao, as stored.
    pub stake_rao: u64,
    /// Whether the neuron holds a validator permit (may set weights on others).
    pub validator_permit: bool,
    /// Whether the neuron counted as active at the last epoch.
    pub active: bool,
    /// Block of the neuron's last weight update (or registration).
    pub last_update: u64,
    /// The axon it served, if it ever served one on this subnet.
    pub axon: Option<AxonInfo>,
    /// Share of the subnet's miner emission, `0.0..=1.0`.
    pub incentive: Option<f64>,
    /// Share of the subnet's validator emission, `0.0..=1.0`.
    pub dividends: Option<f64>,
    /// Consensus weight, `0.0..=1.0`.
    pub consensus: Option<f64>,
    /// Trust, `0.0..=1.0` (absent on newer runtimes).
    pub trust: Option<f64>,
    /// Validator trust, `0.0..=1.0`.
    pub validator_trust: Option<f64>,
    /// Rank, `0.0..=1.0` (absent on newer runtimes).
    pub rank: Option<f64>,
    /// Emission at the last epoch, in TAO/alpha units.
    pub emission: Option<f64>,
}

// === impl Neuron ===

impl Neuron {
    /// A neuron with no stake, no permit, no axon and no scores: the starting point for
    /// snapshots built by hand (tests, static setups). Set the public fields as needed.
    ///
    /// ```
    /// use axonite::metagraph::Neuron;
    /// use axonite::Keypair;
    ///
    /// let mut neuron = Neuron::new(3, Keypair::generate().hotkey(), Keypair::generate().hotkey());
    /// neuron.validator_permit = true;
    /// assert_eq!(neuron.uid, 3);
    /// ```
    pub fn new(uid: u16, hotkey: Hotkey, coldkey: Hotkey) -> Self {
        Self {
            uid,
            hotkey,
            coldkey,
            stake: 0.0,
            stake_rao: 0,
            validator_permit: false,
            active: false,
            last_update: 0,
            axon: None,
            incentive: None,
            dividends: None,
            consensus: None,
            trust: None,
            validator_trust: None,
            rank: None,
            emission: None,
        }
    }

    /// Sets the stake from a rao amount, keeping [`Neuron::stake`] and
    /// [`Neuron::stake_rao`] consistent.
    pub fn with_stake_rao(mut self, rao: u64) -> Self {
        self.stake_rao = rao;
        self.stake = super::rao_to_units(rao);
        self
    }

    /// Whether the neuron serves an Axonite axon at a real address (see
    /// [`AxonInfo::is_axonite`] and [`AxonInfo::is_serving`]).
    pub fn serves_axonite(&self) -> bool {
        self.axon
            .as_ref()
            .is_some_and(|a| a.is_axonite() && a.is_serving())
    }
}
