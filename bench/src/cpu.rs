//! Process CPU time from `/proc/<pid>/stat` (user + system), read before and after a run.

use std::time::Duration;

/// Linux reports `/proc` times in USER_HZ ticks, which the kernel ABI fixes at 100 per second
/// on every architecture we run on (the true tick rate is hidden from userspace).
const TICKS_PER_SECOND: u64 = 100;

/// Why CPU time could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CpuError {
    /// `/proc/<pid>/stat` could not be read (process gone, or not Linux).
    #[error("cannot read /proc/{pid}/stat: {source}")]
    Read {
        /// The process.
        pid: u32,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file did not have the expected layout.
    #[error("unexpected /proc/{0}/stat layout")]
    Parse(u32),
}

/// User plus system CPU time consumed so far by process `pid` (all its threads).
pub fn cpu_time(pid: u32) -> Result<Duration, CpuError> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_err(|source| CpuError::Read { pid, source })?;
    parse_stat(&stat).ok_or(CpuError::Parse(pid))
}

/// CPU time of the calling process.
pub fn own_cpu_time() -> Result<Duration, CpuError> {
    cpu_time(std::process::id())
}

/// Fields 14 (utime) and 15 (stime) of a stat line. The command name (field 2) is in
/// parentheses and may hold spaces, so count fields from the last `)`.
fn parse_stat(stat: &str) -> Option<Duration> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11); // field 3 is the first after `)`
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    let ticks = utime.checked_add(stime)?;
    Some(Duration::from_millis(
        ticks.checked_mul(1_000 / TICKS_PER_SECOND)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utime_and_stime_are_summed_even_with_spaces_in_the_name() {
        let line = "4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 37 0 0 20 0 3 0";
        assert_eq!(parse_stat(line), Some(Duration::from_millis(2_870)));
    }

    #[test]
    fn a_truncated_line_is_refused() {
        assert_eq!(parse_stat("4242 (x) S 1 2 3"), None);
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn the_running_process_has_a_cpu_time() {
        assert!(own_cpu_time().is_ok());
    }
}
