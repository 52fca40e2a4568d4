//! What a weight setter should do next: pure decisions over the metagraph, no I/O.

use axonite::metagraph::Hyperparameters;

/// Scores turned into what `set_weights` takes: uids with `u16` weights, the largest score
/// scaled to `u16::MAX` (as the bittensor SDK does). Scores that are not finite or not
/// positive get no weight; uids are sorted and unique (the last score of a uid wins).
pub fn normalize(scores: &[(u16, f64)]) -> (Vec<u16>, Vec<u16>) {
    let mut by_uid = std::collections::BTreeMap::new();
    for &(uid, score) in scores {
        by_uid.insert(uid, score);
    }
    let max = by_uid
        .values()
        .copied()
        .filter(|s| s.is_finite() && *s > 0.0)
        .fold(0.0f64, f64::max);
    if max <= 0.0 {
        return (Vec::new(), Vec::new());
    }
    by_uid
        .into_iter()
        .filter(|(_, s)| s.is_finite() && *s > 0.0)
        .map(|(uid, s)| {
            // In 0..=1 after the division; the cast cannot overflow.
            let w = (s / max * f64::from(u16::MAX)).round() as u16;
            (uid, w)
        })
        .filter(|(_, w)| *w > 0)
        .unzip()
}

/// A commit waiting for its reveal window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingReveal {
    /// Block the commit landed in.
    pub commit_block: u64,
    /// What was committed, to be revealed exactly.
    pub uids: Vec<u16>,
    /// Weights committed.
    pub weights: Vec<u16>,
    /// Salt committed.
    pub salt: Vec<u16>,
    /// Version key committed.
    pub version_key: u64,
}

/// Blocks kept free at the end of a reveal window: a reveal planned later than this could
/// land after the window closes.
pub const REVEAL_MARGIN_BLOCKS: u64 = 2;

/// The next step of a weight setter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Nothing to do before `block` (rate limit, reveal window, or no scores yet).
    WaitUntil(u64),
    /// Nothing to do until something changes (no scores, not registered).
    Idle,
    /// Submit `set_weights` now.
    Set,
    /// Submit `commit_weights` now.
    Commit,
    /// Submit `reveal_weights` for the pending commit now.
    Reveal,
}

/// Decides the next step at `block`, given the subnet's `hyperparameters`, the block of this
/// validator's last weight update (`last_update`, from the metagraph), whether there are
/// scores to send, and a commit awaiting its reveal.
pub fn next_step(
    netuid: u16,
    block: u64,
    hyperparameters: &Hyperparameters,
    last_update: u64,
    has_scores: bool,
    pending: Option<&PendingReveal>,
) -> Step {
    if let Some(pending) = pending {
        // A reveal submitted now lands in a later block: plan for where it lands, and keep a
        // margin before the window closes for finality lag and inclusion.
        let lands = block.saturating_add(1);
        return match hyperparameters.reveal_window(netuid, pending.commit_block) {
            Some(window)
                if lands >= window.start
                    && lands.saturating_add(REVEAL_MARGIN_BLOCKS) < window.end =>
            {
                Step::Reveal
            }
            Some(window) if lands < window.start => Step::WaitUntil(window.start - 1),
            // The window passed (or the runtime reports none): the commit is lost; commit anew.
            _ => Step::Commit,
        };
    }
    if !has_scores {
        return Step::Idle;
    }
    let ready_at = last_update.saturating_add(hyperparameters.weights_set_rate_limit);
    if block < ready_at {
        return Step::WaitUntil(ready_at);
    }
    if hyperparameters.commit_reveal_weights_enabled {
        Step::Commit
    } else {
        Step::Set
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn hp(rate_limit: u64, commit_reveal: bool) -> Hyperparameters {
        Hyperparameters {
            tempo: 9,
            weights_set_rate_limit: rate_limit,
            commit_reveal_weights_enabled: commit_reveal,
            reveal_period_epochs: Some(1),
            ..Default::default()
        }
    }

    #[test]
    fn scores_scale_the_best_to_u16_max_and_drop_the_unscorable() {
        let (uids, weights) = normalize(&[(3, 0.5), (1, 1.0), (2, f64::NAN), (4, -1.0), (5, 0.0)]);
        assert_eq!(uids, vec![1, 3]);
        assert_eq!(weights, vec![65535, 32768]);
        assert_eq!(normalize(&[(0, 0.0)]), (vec![], vec![]));
        assert_eq!(normalize(&[]), (vec![], vec![]));
    }

    #[test]
    fn the_rate_limit_is_honoured() {
        let h = hp(100, false);
        assert_eq!(next_step(1, 150, &h, 100, true, None), Step::WaitUntil(200));
        assert_eq!(next_step(1, 200, &h, 100, true, None), Step::Set);
        assert_eq!(next_step(1, 200, &h, 100, false, None), Step::Idle);
    }

    #[test]
    fn commit_reveal_commits_then_reveals_in_the_next_epoch_window() {
        let h = hp(0, true);
        assert_eq!(next_step(1, 30, &h, 0, true, None), Step::Commit);
        let pending = PendingReveal {
            commit_block: 30,
            uids: vec![0],
            weights: vec![1],
            salt: vec![1],
            version_key: 0,
        };
        // tempo 9, netuid 1: epoch = (block + 2) / 10. Commit at 30 is epoch 3; reveal in
        // epoch 4, blocks 38..48. A reveal submitted at block b lands at b + 1, and must land
        // at least REVEAL_MARGIN_BLOCKS before the window closes: submit at 37..=44.
        assert_eq!(
            next_step(1, 31, &h, 0, true, Some(&pending)),
            Step::WaitUntil(37)
        );
        assert_eq!(next_step(1, 37, &h, 0, true, Some(&pending)), Step::Reveal);
        assert_eq!(next_step(1, 44, &h, 0, true, Some(&pending)), Step::Reveal);
        // Too close to the end (it could land after the window): commit again.
        assert_eq!(next_step(1, 45, &h, 0, true, Some(&pending)), Step::Commit);
        assert_eq!(next_step(1, 48, &h, 0, true, Some(&pending)), Step::Commit);
    }

    proptest! {
        #[test]
        fn normalized_weights_are_sorted_unique_and_peak_at_u16_max(
            scores in proptest::collection::vec((0u16..50, -1.0f64..10.0), 0..60)
        ) {
            let (uids, weights) = normalize(&scores);
            prop_assert_eq!(uids.len(), weights.len());
            prop_assert!(uids.windows(2).all(|w| w[0] < w[1]));
            if let Some(max) = weights.iter().max() {
                prop_assert_eq!(*max, u16::MAX);
            }
            prop_assert!(weights.iter().all(|w| *w > 0));
        }
    }
}
