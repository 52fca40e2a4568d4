//! Restart budget and per-child failure tracking: pure, clock passed in, no I/O.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::backoff::Backoff;

/// Restart budget of one child: at most `max_restarts` restarts within a sliding
/// `window`, spaced by `backoff`. One failure more than the budget escalates: the
/// supervisor itself fails and its own parent decides.
///
/// Default: 5 restarts within 30 s, [`Backoff::default`].
///
/// ```
/// use std::time::Duration;
/// use axonite_actors::supervisor::{Backoff, RestartPolicy};
///
/// let policy = RestartPolicy::default()
///     .with_max_restarts(3)
///     .with_window(Duration::from_secs(10))
///     .with_backoff(Backoff::default().with_initial(Duration::from_millis(1)));
/// assert_eq!(policy.max_restarts(), 3);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RestartPolicy {
    max_restarts: u32,
    window: Duration,
    backoff: Backoff,
}

// === impl RestartPolicy ===

impl Default for RestartPolicy {
    fn default() -> Self {
        Self {
            max_restarts: 5,
            window: Duration::from_secs(30),
            backoff: Backoff::default(),
        }
    }
}

impl RestartPolicy {
    /// How many restarts are allowed within [`RestartPolicy::with_window`] before the
    /// supervisor gives up and escalates.
    ///
    /// Higher tolerates flakier children but hides a crash loop longer (and burns CPU
    /// and log lines restarting a child that cannot work); lower escalates sooner, which
    /// restarts a larger part of the tree. `0` escalates on the first failure.
    #[must_use]
    pub fn with_max_restarts(mut self, max_restarts: u32) -> Self {
        self.max_restarts = max_restarts;
        self
    }

    /// Length of the sliding window in which restarts are counted; failures older
    /// than this are forgotten.
    ///
    /// Longer treats sparse crashes as one crash loop (escalates sooner); shorter
    /// forgives more, but a child crashing just slower than `window / max_restarts`
    /// is then restarted forever. Keep it well above the total backoff of
    /// `max_restarts` attempts, or the backoff alone empties the window.
    #[must_use]
    pub fn with_window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// Delays between restarts, see [`Backoff`].
    #[must_use]
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Restarts allowed within the window.
    pub fn max_restarts(&self) -> u32 {
        self.max_restarts
    }

    /// Length of the sliding window.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// Delays between restarts.
    pub fn backoff(&self) -> Backoff {
        self.backoff
    }
}

/// What a supervisor should do after a child failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartDecision {
    /// Restart the child after `after`.
    Restart {
        /// 0-based restart number within the current window (0 for the first
        /// failure in the window).
        attempt: u32,
        /// Un-jittered delay, `policy.backoff().delay(attempt)`; the actor layer
        /// applies jitter on top.
        after: Duration,
    },
    /// The budget is exhausted: the supervisor must fail so its parent decides.
    Escalate {
        /// Failures counted in the window, this one included (at most
        /// `max_restarts + 1`, since older ones are not kept).
        failures_in_window: u32,
    },
}

/// Failure history of one child, deciding restart or escalation.
///
/// Time is passed in, so the tracker is deterministic under test. Memory is bounded:
/// at most `max_restarts + 1` timestamps are kept.
///
/// ```
/// use std::time::{Duration, Instant};
/// use axonite_actors::supervisor::{RestartDecision, RestartPolicy, RestartTracker};
///
/// let mut tracker = RestartTracker::new(RestartPolicy::default().with_max_restarts(1));
/// let t0 = Instant::now();
/// assert!(matches!(tracker.on_failure(t0), RestartDecision::Restart { attempt: 0, .. }));
/// assert_eq!(
///     tracker.on_failure(t0 + Duration::from_secs(1)),
///     RestartDecision::Escalate { failures_in_window: 2 }
/// );
/// ```
#[derive(Debug, Clone)]
pub struct RestartTracker {
    policy: RestartPolicy,
    /// Failure times, oldest first, all within the window as of the last call.
    failures: VecDeque<Instant>,
}

// === impl RestartTracker ===

impl RestartTracker {
    /// A tracker with no failures recorded.
    pub fn new(policy: RestartPolicy) -> Self {
        Self {
            policy,
            failures: VecDeque::new(),
        }
    }

    /// The policy this tracker applies.
    pub fn policy(&self) -> &RestartPolicy {
        &self.policy
    }

    /// Record a failure at `now` and decide.
    ///
    /// Failures at least `window` older than `now` are dropped first. The decision
    /// is [`RestartDecision::Escalate`] iff more than `max_restarts` failures (this
    /// one included) fall within the window.
    pub fn on_failure(&mut self, now: Instant) -> RestartDecision {
        self.forget_expired(now);
        self.failures.push_back(now);
        let cap = usize::try_from(self.policy.max_restarts)
            .unwrap_or(usize::MAX)
            .saturating_add(1);
        while self.failures.len() > cap {
            self.failures.pop_front();
        }
        let failures = u32::try_from(self.failures.len()).unwrap_or(u32::MAX);
        if failures > self.policy.max_restarts {
            RestartDecision::Escalate {
                failures_in_window: failures,
            }
        } else {
            let attempt = failures.saturating_sub(1);
            RestartDecision::Restart {
                attempt,
                after: self.policy.backoff.delay(attempt),
            }
        }
    }

    /// Failures still within the window as of `now`.
    pub fn failures_in_window(&self, now: Instant) -> u32 {
        let count = self
            .failures
            .iter()
            .filter(|t| now.saturating_duration_since(**t) < self.policy.window)
            .count();
        u32::try_from(count).unwrap_or(u32::MAX)
    }

    /// Forget every recorded failure, e.g. after a child proved healthy for a while.
    pub fn reset(&mut self) {
        self.failures.clear();
    }

    fn forget_expired(&mut self, now: Instant) {
        while let Some(oldest) = self.failures.front() {
            if now.saturating_duration_since(*oldest) >= self.policy.window {
                self.failures.pop_front();
            } else {
                break;
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn tracked(&self) -> usize {
        self.failures.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn policy(max_restarts: u32, window_s: u64) -> RestartPolicy {
        RestartPolicy::default()
            .with_max_restarts(max_restarts)
            .with_window(Duration::from_secs(window_s))
    }

    #[test]
    fn default_policy_is_five_restarts_in_thirty_seconds() {
        let p = RestartPolicy::default();
        assert_eq!(p.max_restarts(), 5);
        assert_eq!(p.window(), Duration::from_secs(30));
        assert_eq!(p.backoff(), Backoff::default());
    }

    #[test]
    fn restarts_up_to_the_limit_within_the_window_then_escalates() {
        let mut tracker = RestartTracker::new(policy(3, 10));
        let t0 = Instant::now();
        let backoff = Backoff::default();
        for attempt in 0..3u32 {
            let now = t0 + Duration::from_secs(u64::from(attempt));
            assert_eq!(
                tracker.on_failure(now),
                RestartDecision::Restart {
                    attempt,
                    after: backoff.delay(attempt)
                }
            );
        }
        assert_eq!(
            tracker.on_failure(t0 + Duration::from_secs(3)),
            RestartDecision::Escalate {
                failures_in_window: 4
            }
        );
    }

    #[test]
    fn failures_older_than_the_window_are_forgotten() {
        let mut tracker = RestartTracker::new(policy(2, 10));
        let t0 = Instant::now();
        assert!(matches!(
            tracker.on_failure(t0),
            RestartDecision::Restart { attempt: 0, .. }
        ));
        assert!(matches!(
            tracker.on_failure(t0 + Duration::from_secs(1)),
            RestartDecision::Restart { attempt: 1, .. }
        ));
        // Exactly one window after the first failure: it has expired, one remains.
        assert!(matches!(
            tracker.on_failure(t0 + Duration::from_secs(10)),
            RestartDecision::Restart { attempt: 1, .. }
        ));
        assert_eq!(tracker.failures_in_window(t0 + Duration::from_secs(10)), 2);
        // Long after: everything forgotten, backoff starts over.
        assert_eq!(
            tracker.on_failure(t0 + Duration::from_secs(100)),
            RestartDecision::Restart {
                attempt: 0,
                after: Backoff::default().delay(0)
            }
        );
    }

    #[test]
    fn zero_max_restarts_escalates_on_first_failure() {
        let mut tracker = RestartTracker::new(policy(0, 10));
        assert_eq!(
            tracker.on_failure(Instant::now()),
            RestartDecision::Escalate {
                failures_in_window: 1
            }
        );
    }

    #[test]
    fn reset_forgets_failures() {
        let mut tracker = RestartTracker::new(policy(1, 10));
        let t0 = Instant::now();
        tracker.on_failure(t0);
        tracker.reset();
        assert!(matches!(
            tracker.on_failure(t0),
            RestartDecision::Restart { attempt: 0, .. }
        ));
    }

    #[test]
    fn restart_delay_grows_with_attempts_in_window() {
        let backoff = Backoff::default().with_initial(Duration::from_millis(10));
        let mut tracker = RestartTracker::new(policy(4, 60).with_backoff(backoff));
        let t0 = Instant::now();
        let afters: Vec<Duration> = (0..4)
            .map(
                |i| match tracker.on_failure(t0 + Duration::from_millis(i)) {
                    RestartDecision::Restart { after, .. } => after,
                    other => panic!("unexpected {other:?}"),
                },
            )
            .collect();
        assert_eq!(afters, [10, 20, 40, 80].map(Duration::from_millis).to_vec());
    }

    proptest! {
        #[test]
        fn tracker_memory_is_bounded_and_escalates_iff_over_budget(
            max_restarts in 0u32..8,
            window_ms in 0u64..1_000,
            gaps_ms in proptest::collection::vec(0u64..400, 1..200),
        ) {
            let p = RestartPolicy::default()
                .with_max_restarts(max_restarts)
                .with_window(Duration::from_millis(window_ms));
            let mut tracker = RestartTracker::new(p.clone());
            let t0 = Instant::now();
            let mut now = t0;
            // Reference model: every failure ever, unbounded.
            let mut history: Vec<Instant> = Vec::new();
            for gap in gaps_ms {
                now += Duration::from_millis(gap);
                // The current failure always counts, earlier ones while younger than the window.
                let in_window = 1 + history
                    .iter()
                    .filter(|t| now.duration_since(**t) < p.window())
                    .count();
                history.push(now);
                let decision = tracker.on_failure(now);
                prop_assert!(tracker.tracked() <= max_restarts as usize + 1);
                let over_budget = in_window > max_restarts as usize;
                match decision {
                    RestartDecision::Escalate { failures_in_window } => {
                        prop_assert!(over_budget);
                        prop_assert_eq!(failures_in_window, max_restarts + 1);
                    }
                    RestartDecision::Restart { attempt, after } => {
                        prop_assert!(!over_budget);
                        prop_assert_eq!(attempt as usize, in_window - 1);
                        prop_assert_eq!(after, p.backoff().delay(attempt));
                    }
                }
            }
        }
    }
}
