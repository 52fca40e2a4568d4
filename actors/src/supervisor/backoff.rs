//! Exponential backoff with full jitter: pure arithmetic, no clock, no I/O.

use std::time::Duration;

/// Exponential backoff bounds between restarts of a child.
///
/// The deterministic upper bound for restart `attempt` (0-based) is
/// `min(max, initial * factor^attempt)` ([`Backoff::delay`]); the delay actually
/// slept is drawn uniformly from `[delay / 2, delay]` ([`Backoff::jittered`]) so that
/// many children failing together (a shared dependency went down) do not restart in
/// lock-step and hammer it again at the same instant.
///
/// Default: initial 50 ms, max 5 s, factor 2.
///
/// ```
/// use std::time::Duration;
/// use axonite_actors::supervisor::Backoff;
///
/// let backoff = Backoff::default()
///     .with_initial(Duration::from_millis(10))
///     .with_max(Duration::from_secs(1))
///     .with_factor(3.0);
/// assert_eq!(backoff.delay(0), Duration::from_millis(10));
/// assert_eq!(backoff.delay(2), Duration::from_millis(90));
/// assert_eq!(backoff.delay(u32::MAX), Duration::from_secs(1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    factor: f64,
}

// === impl Backoff ===

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(50),
            max: Duration::from_secs(5),
            factor: 2.0,
        }
    }
}

impl Backoff {
    /// Delay before the first restart of a window (attempt 0).
    ///
    /// Smaller restarts a child faster after a one-off crash; larger gives a failing
    /// dependency (a node, a socket) time to come back before the child retries.
    /// `Duration::ZERO` disables backoff entirely (every delay is zero).
    #[must_use]
    pub fn with_initial(mut self, initial: Duration) -> Self {
        self.initial = initial;
        self
    }

    /// Upper bound of any delay, however many attempts.
    ///
    /// Caps how long a child may stay down between two restarts. Lower keeps the
    /// service available sooner; higher protects a struggling dependency longer.
    /// A `max` below `initial` makes every delay equal to `max`.
    #[must_use]
    pub fn with_max(mut self, max: Duration) -> Self {
        self.max = max;
        self
    }

    /// Growth factor between consecutive attempts.
    ///
    /// `1.0` gives a constant delay of `initial`; `2.0` doubles it each attempt.
    /// Values below `1.0` (a shrinking backoff makes no sense) and NaN are clamped
    /// to `1.0`.
    #[must_use]
    pub fn with_factor(mut self, factor: f64) -> Self {
        // `!(factor >= 1.0)` also catches NaN.
        self.factor = if factor >= 1.0 { factor } else { 1.0 };
        self
    }

    /// Delay before the first restart.
    pub fn initial(&self) -> Duration {
        self.initial
    }

    /// Upper bound of any delay.
    pub fn max(&self) -> Duration {
        self.max
    }

    /// Growth factor between consecutive attempts (always `>= 1.0`).
    pub fn factor(&self) -> f64 {
        self.factor
    }

    /// Deterministic upper bound of the delay before restart `attempt` (0-based):
    /// `min(max, initial * factor^attempt)`.
    ///
    /// Never overflows or panics, even for `attempt == u32::MAX`.
    pub fn delay(&self, attempt: u32) -> Duration {
        if self.initial.is_zero() || self.max.is_zero() {
            return Duration::ZERO;
        }
        let secs = self.initial.as_secs_f64() * self.factor.powf(f64::from(attempt));
        // Infinite or NaN products fail the comparison and fall back to `max`.
        if secs < self.max.as_secs_f64() {
            Duration::try_from_secs_f64(secs).map_or(self.max, |d| d.min(self.max))
        } else {
            self.max
        }
    }

    /// Delay before restart `attempt`, drawn uniformly from `[delay / 2, delay]`
    /// where `delay` is [`Backoff::delay`].
    pub fn jittered<R: rand::Rng + ?Sized>(&self, attempt: u32, rng: &mut R) -> Duration {
        let upper = self.delay(attempt);
        let upper_nanos = u64::try_from(upper.as_nanos()).unwrap_or(u64::MAX);
        let lower_nanos = upper_nanos / 2;
        Duration::from_nanos(rng.random_range(lower_nanos..=upper_nanos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn default_is_50ms_doubling_capped_at_5s() {
        let b = Backoff::default();
        assert_eq!(b.initial(), Duration::from_millis(50));
        assert_eq!(b.max(), Duration::from_secs(5));
        assert_eq!(b.factor(), 2.0);
    }

    #[test]
    fn backoff_grows_exponentially_then_is_capped() {
        let b = Backoff::default();
        let expected_ms = [50, 100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000];
        for (attempt, ms) in expected_ms.iter().enumerate() {
            let attempt = u32::try_from(attempt).expect("small");
            assert_eq!(
                b.delay(attempt),
                Duration::from_millis(*ms),
                "attempt {attempt}"
            );
        }
    }

    #[test]
    fn huge_attempts_do_not_overflow_and_return_max() {
        let b = Backoff::default();
        assert_eq!(b.delay(u32::MAX), Duration::from_secs(5));
        assert_eq!(b.delay(u32::MAX - 1), Duration::from_secs(5));
        let huge = Backoff::default()
            .with_initial(Duration::MAX)
            .with_max(Duration::MAX)
            .with_factor(f64::MAX);
        assert_eq!(huge.delay(u32::MAX), Duration::MAX);
        let mut rng = StdRng::seed_from_u64(7);
        let j = huge.jittered(u32::MAX, &mut rng);
        assert!(j >= Duration::from_nanos(u64::MAX / 2));
    }

    #[test]
    fn factor_below_one_or_nan_is_clamped_to_one() {
        assert_eq!(Backoff::default().with_factor(0.5).factor(), 1.0);
        assert_eq!(Backoff::default().with_factor(f64::NAN).factor(), 1.0);
        assert_eq!(Backoff::default().with_factor(-3.0).factor(), 1.0);
        let constant = Backoff::default().with_factor(1.0);
        assert_eq!(constant.delay(0), constant.delay(1000));
    }

    #[test]
    fn zero_initial_disables_backoff() {
        let b = Backoff::default().with_initial(Duration::ZERO);
        assert_eq!(b.delay(0), Duration::ZERO);
        assert_eq!(b.delay(u32::MAX), Duration::ZERO);
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(b.jittered(3, &mut rng), Duration::ZERO);
    }

    #[test]
    fn max_below_initial_caps_every_delay() {
        let b = Backoff::default()
            .with_initial(Duration::from_secs(10))
            .with_max(Duration::from_secs(1));
        assert_eq!(b.delay(0), Duration::from_secs(1));
    }

    proptest! {
        #[test]
        fn delay_is_monotonic_and_capped(
            initial_ms in 0u64..10_000,
            max_ms in 0u64..100_000,
            factor in 1.0f64..10.0,
            attempt in any::<u32>(),
        ) {
            let b = Backoff::default()
                .with_initial(Duration::from_millis(initial_ms))
                .with_max(Duration::from_millis(max_ms))
                .with_factor(factor);
            let d = b.delay(attempt);
            prop_assert!(d <= b.max());
            if let Some(next) = attempt.checked_add(1) {
                prop_assert!(b.delay(next) >= d);
            }
        }

        #[test]
        fn jitter_stays_within_half_delay_and_delay(
            initial_ms in 0u64..10_000,
            attempt in 0u32..64,
            seed in any::<u64>(),
        ) {
            let b = Backoff::default().with_initial(Duration::from_millis(initial_ms));
            let mut rng = StdRng::seed_from_u64(seed);
            let upper = b.delay(attempt);
            let j = b.jittered(attempt, &mut rng);
            prop_assert!(j <= upper);
            prop_assert!(j >= upper / 2);
        }
    }
}
