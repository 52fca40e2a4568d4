//! Process memory from `/proc/<pid>/status`: the resident set, and its anonymous part (heap,
//! stacks: where per-connection state lives; the rest is mostly the binary's own pages).

/// Resident memory of one process, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Rss {
    /// `VmRSS`: every resident page.
    pub total: u64,
    /// `RssAnon`: resident anonymous pages.
    pub anon: u64,
}

/// Why memory could not be read.
#[derive(Debug, thiserror::Error)]
pub enum MemError {
    /// `/proc/<pid>/status` could not be read (process gone, or not Linux).
    #[error("cannot read /proc/{pid}/status: {source}")]
    Read {
        /// The process.
        pid: u32,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file lacked `VmRSS` or `RssAnon`.
    #[error("unexpected /proc/{0}/status layout")]
    Parse(u32),
}

/// Resident memory of process `pid` now.
pub fn rss(pid: u32) -> Result<Rss, MemError> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|source| MemError::Read { pid, source })?;
    parse_status(&status).ok_or(MemError::Parse(pid))
}

/// Reads `VmRSS` and `RssAnon` (in kB, as the kernel always prints them).
fn parse_status(status: &str) -> Option<Rss> {
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find_map(|l| l.strip_prefix(name))?;
        let kb: u64 = line.trim().strip_suffix("kB")?.trim().parse().ok()?;
        kb.checked_mul(1024)
    };
    Some(Rss {
        total: field("VmRSS:")?,
        anon: field("RssAnon:")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_fields_are_read_in_bytes() {
        let status = "Name:\tx\nVmPeak:\t  9 kB\nVmRSS:\t    1736 kB\nRssAnon:\t     112 kB\n";
        assert_eq!(
            parse_status(status),
            Some(Rss {
                total: 1736 * 1024,
                anon: 112 * 1024
            })
        );
    }

    #[test]
    fn a_status_without_rss_is_refused() {
        assert_eq!(parse_status("Name:\tx\nVmRSS:\t12 kB\n"), None);
        assert_eq!(parse_status("VmRSS:\tlots\nRssAnon:\t1 kB\n"), None);
    }

    #[test]
    fn the_running_process_is_resident() {
        let own = rss(std::process::id()).unwrap();
        assert!(own.total > 0 && own.anon <= own.total);
    }
}
