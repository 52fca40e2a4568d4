//! Deadlines that cannot overflow.

use std::time::Duration;

use tokio::time::Instant;

/// About thirty years: the farthest deadline this crate computes.
const FAR: Duration = Duration::from_secs(30 * 365 * 24 * 3600);

/// `start + timeout`, saturating far in the future instead of panicking on overflow (a user
/// may configure `Duration::MAX` to mean "no timeout").
pub(crate) fn deadline_after(start: Instant, timeout: Duration) -> Instant {
    start
        .checked_add(timeout.min(FAR))
        .unwrap_or_else(|| start + Duration::from_secs(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_timeouts_saturate_instead_of_panicking() {
        let now = Instant::now();
        assert!(deadline_after(now, Duration::MAX) > now + Duration::from_secs(3600));
        assert_eq!(
            deadline_after(now, Duration::from_secs(5)),
            now + Duration::from_secs(5)
        );
    }
}
