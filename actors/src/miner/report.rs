//! The miner's periodic report: what it served and what it refused, by reason, since the
//! last report. Refusals are logged one by one only at debug level (a flood must not flood
//! the logs); this summary is how an operator sees an attack at the default level.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use ractor::{Actor, ActorProcessingErr, ActorRef};

use super::shared::MinerShared;
use super::stats::MinerStats;

/// Logs a summary of the miner's counters every interval, when anything happened.
pub(crate) struct Reporter;

/// Time to report.
pub(crate) struct Report;

impl Actor for Reporter {
    type Msg = Report;
    type State = (Arc<MinerShared>, MinerStats);
    type Arguments = (Arc<MinerShared>, Duration);

    async fn pre_start(
        &self,
        myself: ActorRef<Report>,
        (shared, every): Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        myself.send_interval(every, || Report);
        let now = shared.stats();
        Ok((shared, now))
    }

    async fn handle(
        &self,
        _: ActorRef<Report>,
        _: Report,
        (shared, last): &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        let now = shared.stats();
        if let Some(line) = summary(&now, last) {
            tracing::info!(
                active = now.active_connections,
                rate_limit_keys = now.rate_limit_keys,
                "{line}"
            );
        }
        *last = now;
        Ok(())
    }
}

/// One line of what changed between `last` and `now`; `None` when nothing did.
fn summary(now: &MinerStats, last: &MinerStats) -> Option<String> {
    let requests = now.requests_total().since(&last.requests_total());
    let d = |now: u64, then: u64| now.saturating_sub(then);
    let connections = [
        ("handshakes ok", d(now.handshakes_ok, last.handshakes_ok)),
        ("failed", d(now.handshakes_failed, last.handshakes_failed)),
        (
            "timed out",
            d(now.handshakes_timed_out, last.handshakes_timed_out),
        ),
        ("refused busy", d(now.refused_busy, last.refused_busy)),
        (
            "dropped over per-IP rate",
            d(now.refused_rate, last.refused_rate),
        ),
        (
            "retried",
            d(now.address_validations, last.address_validations),
        ),
        ("revoked", d(now.revoked, last.revoked)),
        (
            "closed for flooding",
            d(
                now.disconnected_rate_limited,
                last.disconnected_rate_limited,
            ),
        ),
    ];
    if requests.total() == 0 && connections.iter().all(|(_, n)| *n == 0) {
        return None;
    }
    let mut line = format!("served {} requests", requests.ok);
    let refused = requests.refused();
    if refused > 0 {
        let _ = write!(line, ", refused {refused} (");
        let reasons = requests
            .by_status()
            .into_iter()
            .skip(1)
            .filter(|(_, n)| *n > 0);
        for (i, (status, n)) in reasons.enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            let _ = write!(line, "{sep}{status}: {n}");
        }
        if requests.other > 0 {
            let _ = write!(line, ", other: {}", requests.other);
        }
        line.push(')');
    }
    let caller = d(now.rate_limited, last.rate_limited);
    let global = d(now.rate_limited_global, last.rate_limited_global);
    if caller + global > 0 {
        let _ = write!(
            line,
            "; rate limits: {caller} over caller quota, {global} over global budget"
        );
    }
    for (what, n) in connections.iter().filter(|(_, n)| *n > 0) {
        let _ = write!(line, "; {what}: {n}");
    }
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::miner::RequestCounts;

    #[test]
    fn the_summary_names_each_refusal_reason_and_is_silent_when_idle() {
        let last = MinerStats::default();
        assert_eq!(summary(&last, &last), None);
        let now = MinerStats {
            requests: [(
                "Echo",
                RequestCounts {
                    ok: 7,
                    rate_limited: 40,
                    overloaded: 2,
                    ..Default::default()
                },
            )]
            .into(),
            rate_limited: 40,
            refused_rate: 3,
            ..Default::default()
        };
        let line = summary(&now, &last).unwrap();
        assert!(
            line.starts_with("served 7 requests, refused 42 ("),
            "{line}"
        );
        assert!(line.contains("429 rate limited: 40"), "{line}");
        assert!(line.contains("503"), "{line}");
        assert!(line.contains("40 over caller quota"), "{line}");
        assert!(line.contains("dropped over per-IP rate: 3"), "{line}");
        assert!(!line.contains("403"), "{line}");
        assert_eq!(summary(&now, &now), None);
    }
}
