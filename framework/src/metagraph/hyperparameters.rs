//! The subnet settings a validator needs to time and shape its weights.

/// Subnet hyperparameters read at the same block as the neurons.
///
/// Items every supported runtime has are plain values; items that exist in some runtime
/// versions only are `Option`s (`None`: this runtime does not have it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hyperparameters {
    /// Blocks between two epochs of the subnet (an epoch runs every `tempo + 1` blocks).
    pub tempo: u16,
    /// Minimum number of blocks between two weight updates of one uid.
    pub weights_set_rate_limit: u64,
    /// Minimum number of blocks between two `serve_axon` calls of one hotkey.
    pub serving_rate_limit: u64,
    /// Whether weights must be committed (hashed) and revealed later instead of set directly.
    pub commit_reveal_weights_enabled: bool,
    /// How many epochs after its commit a reveal is accepted (`RevealPeriodEpochs`).
    pub reveal_period_epochs: Option<u64>,
    /// The commit-reveal scheme version the runtime expects (`CommitRevealWeightsVersion`,
    /// newer runtimes only; 4 there means timelocked commits).
    pub commit_reveal_version: Option<u16>,
    /// The weights version key `set_weights` must be called with (at least this value).
    pub weights_version_key: Option<u64>,
    /// Minimum number of non-zero weights in a `set_weights` call.
    pub min_allowed_weights: Option<u16>,
    /// Maximum weight one uid may receive, as a `u16` fraction of `u16::MAX`.
    pub max_weights_limit: Option<u16>,
    /// Minimum stake (rao) a hotkey needs to set weights (`StakeThreshold`, formerly
    /// `WeightsMinStake`).
    pub weights_min_stake_rao: Option<u64>,
    /// Maximum number of uids on the subnet.
    pub max_allowed_uids: Option<u16>,
    /// Maximum number of validator permits.
    pub max_allowed_validators: Option<u16>,
    /// Blocks after registration during which a neuron cannot be pruned.
    pub immunity_period: Option<u16>,
    /// Blocks without a weight update after which a validator counts as inactive.
    pub activity_cutoff: Option<u16>,
}

// === impl Hyperparameters ===

impl Hyperparameters {
    /// The pallet's block-based epoch index of `block` on subnet `netuid`:
    /// `(block + netuid + 1) / (tempo + 1)`.
    ///
    /// Commit-reveal counts in these epochs: a weight commit made in epoch `e` can be
    /// revealed only during epoch `e + reveal_period_epochs`. (Runtimes that keep an
    /// explicit per-subnet epoch counter agree with this formula as long as the tempo has
    /// not changed.)
    ///
    /// ```
    /// use axonite::metagraph::Hyperparameters;
    ///
    /// let hp = Hyperparameters { tempo: 9, ..Default::default() };
    /// assert_eq!(hp.epoch_index(1, 8), 1);
    /// assert_eq!(hp.epoch_index(1, 7), 0);
    /// ```
    pub fn epoch_index(&self, netuid: u16, block: u64) -> u64 {
        let period = u64::from(self.tempo) + 1;
        block.saturating_add(u64::from(netuid) + 1) / period
    }

    /// The first block of `epoch` on subnet `netuid` (inverse of
    /// [`epoch_index`](Self::epoch_index)).
    pub fn first_block_of_epoch(&self, netuid: u16, epoch: u64) -> u64 {
        let period = u64::from(self.tempo) + 1;
        epoch
            .saturating_mul(period)
            .saturating_sub(u64::from(netuid) + 1)
    }

    /// The block range `start..end` in which a weight commit made at `commit_block` can be
    /// revealed under block-based epochs, or `None` when the runtime did not report a reveal
    /// period.
    pub fn reveal_window(&self, netuid: u16, commit_block: u64) -> Option<std::ops::Range<u64>> {
        let period = self.reveal_period_epochs?;
        let epoch = self
            .epoch_index(netuid, commit_block)
            .saturating_add(period);
        Some(
            self.first_block_of_epoch(netuid, epoch)
                ..self.first_block_of_epoch(netuid, epoch.saturating_add(1)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn with_tempo(tempo: u16) -> Hyperparameters {
        Hyperparameters {
            tempo,
            reveal_period_epochs: Some(1),
            ..Default::default()
        }
    }

    #[test]
    fn epoch_boundaries_follow_the_pallet_formula() {
        // netuid 1, tempo 100: epochs are 101 blocks, shifted by netuid + 1 = 2.
        let hp = with_tempo(100);
        assert_eq!(hp.epoch_index(1, 98), 0);
        assert_eq!(hp.epoch_index(1, 99), 1);
        assert_eq!(hp.first_block_of_epoch(1, 1), 99);
        assert_eq!(hp.first_block_of_epoch(1, 2), 200);
    }

    #[test]
    fn a_commit_is_revealable_during_the_next_epoch_with_period_one() {
        let hp = with_tempo(100);
        assert_eq!(hp.reveal_window(1, 120), Some(200..301));
        assert_eq!(hp.reveal_window(1, 98), Some(99..200));
        let none = Hyperparameters::default();
        assert_eq!(none.reveal_window(1, 120), None);
    }

    proptest! {
        #[test]
        fn the_first_block_of_an_epoch_belongs_to_it(
            tempo in 0u16..1000, netuid in 0u16..128, epoch in 1u64..1_000_000,
        ) {
            let hp = with_tempo(tempo);
            let first = hp.first_block_of_epoch(netuid, epoch);
            // Epochs that would start before block 0 are clamped to block 0.
            prop_assume!(epoch * (u64::from(tempo) + 1) > u64::from(netuid));
            prop_assert_eq!(hp.epoch_index(netuid, first), epoch);
            if first > 0 {
                prop_assert_eq!(hp.epoch_index(netuid, first - 1), epoch - 1);
            }
        }
    }
}
