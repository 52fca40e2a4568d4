//! The names this client reads and calls, and how it copes with runtimes that lack some.
//!
//! Everything is looked up by name in the metadata fetched from the node, so a runtime
//! upgrade never breaks the build; an item a runtime does not have is either optional (the
//! value is `None`), has a fallback ([`StakeSource`]), or yields
//! [`ChainError::NotFound`](super::ChainError::NotFound).

use subxt::Metadata;

/// The subtensor pallet.
pub(crate) const SUBTENSOR: &str = "SubtensorModule";
/// The pallet of root-only hyperparameter setters.
pub(crate) const ADMIN_UTILS: &str = "AdminUtils";
/// The sudo pallet.
pub(crate) const SUDO: &str = "Sudo";

/// Storage items a metagraph read cannot do without.
pub(crate) const REQUIRED_STORAGE: &[&str] = &[
    "NetworksAdded",
    "SubnetworkN",
    "Keys",
    "Owner",
    "Axons",
    "ValidatorPermit",
    "Active",
    "LastUpdate",
    "Tempo",
    "WeightsSetRateLimit",
    "ServingRateLimit",
    "CommitRevealWeightsEnabled",
    "Weights",
    "Uids",
];

/// Per-subnet `Vec<u16>` scores, read when present (newer runtimes dropped `Rank` and
/// `Trust` on some networks).
#[cfg(test)]
pub(crate) const SCORE_STORAGE: &[&str] = &[
    "Incentive",
    "Dividends",
    "Consensus",
    "Trust",
    "ValidatorTrust",
    "Rank",
];

/// Optional per-subnet items (hyperparameters, emission, pending commits), read when present.
#[cfg(test)]
pub(crate) const OPTIONAL_STORAGE: &[&str] = &[
    "Emission",
    "RevealPeriodEpochs",
    "CommitRevealWeightsVersion",
    "WeightsVersionKey",
    "MinAllowedWeights",
    "MaxWeightsLimit",
    "MaxAllowedUids",
    "MaxAllowedValidators",
    "ImmunityPeriod",
    "ActivityCutoff",
    "StakeThreshold",
    "WeightsMinStake",
    "WeightCommits",
];

/// Calls this client submits, with the argument names it passes (in order).
#[cfg(test)]
pub(crate) const CALLS: &[(&str, &str, &[&str])] = &[
    (
        SUBTENSOR,
        "serve_axon",
        &[
            "netuid",
            "version",
            "ip",
            "port",
            "ip_type",
            "protocol",
            "placeholder1",
            "placeholder2",
        ],
    ),
    (
        SUBTENSOR,
        "set_weights",
        &["netuid", "dests", "weights", "version_key"],
    ),
    (SUBTENSOR, "commit_weights", &["netuid", "commit_hash"]),
    (
        SUBTENSOR,
        "reveal_weights",
        &["netuid", "uids", "values", "salt", "version_key"],
    ),
    (SUBTENSOR, "burned_register", &["netuid", "hotkey"]),
    (
        SUBTENSOR,
        "add_stake",
        &["hotkey", "netuid", "amount_staked"],
    ),
    (SUDO, "sudo", &["call"]),
    (
        ADMIN_UTILS,
        "sudo_set_weights_set_rate_limit",
        &["netuid", "weights_set_rate_limit"],
    ),
    (
        ADMIN_UTILS,
        "sudo_set_serving_rate_limit",
        &["netuid", "serving_rate_limit"],
    ),
    (
        ADMIN_UTILS,
        "sudo_set_commit_reveal_weights_enabled",
        &["netuid", "enabled"],
    ),
    (ADMIN_UTILS, "sudo_set_tempo", &["netuid", "tempo"]),
];

/// Whether the runtime has storage item `entry` in pallet `pallet`.
pub(crate) fn has_storage(metadata: &Metadata, pallet: &str, entry: &str) -> bool {
    metadata
        .pallet_by_name(pallet)
        .and_then(|p| p.storage())
        .is_some_and(|s| s.entry_by_name(entry).is_some())
}

/// The argument names of call `call` in pallet `pallet`, or `None` if the runtime lacks it.
#[cfg(test)]
pub(crate) fn call_args(metadata: &Metadata, pallet: &str, call: &str) -> Option<Vec<String>> {
    let variant = metadata
        .pallet_by_name(pallet)?
        .call_variant_by_name(call)?;
    Some(
        variant
            .fields
            .iter()
            .map(|f| f.name.clone().unwrap_or_default())
            .collect(),
    )
}

/// Where a neuron's stake on a subnet is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StakeSource {
    /// dTAO runtimes: `TotalHotkeyAlpha(hotkey, netuid)`, the hotkey's alpha on that subnet.
    TotalHotkeyAlpha,
    /// Pre-dTAO runtimes: `TotalHotkeyStake(hotkey)`, the hotkey's TAO across all subnets.
    TotalHotkeyStake,
    /// Neither exists: every stake reads as 0.
    Unavailable,
}

impl StakeSource {
    /// Picks the best source the runtime offers, given a test for "has storage item".
    pub(crate) fn choose(has: impl Fn(&str) -> bool) -> Self {
        if has("TotalHotkeyAlpha") {
            Self::TotalHotkeyAlpha
        } else if has("TotalHotkeyStake") {
            Self::TotalHotkeyStake
        } else {
            Self::Unavailable
        }
    }

    /// Picks the source for this runtime's metadata.
    pub(crate) fn for_metadata(metadata: &Metadata) -> Self {
        Self::choose(|entry| has_storage(metadata, SUBTENSOR, entry))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stake_source_prefers_alpha_then_falls_back() {
        assert_eq!(
            StakeSource::choose(|e| e == "TotalHotkeyAlpha" || e == "TotalHotkeyStake"),
            StakeSource::TotalHotkeyAlpha
        );
        assert_eq!(
            StakeSource::choose(|e| e == "TotalHotkeyStake"),
            StakeSource::TotalHotkeyStake
        );
        assert_eq!(StakeSource::choose(|_| false), StakeSource::Unavailable);
    }
}
