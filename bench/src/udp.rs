//! Datagrams the kernel dropped because a process's UDP sockets had a full receive buffer:
//! the `drops` column of `/proc/<pid>/net/udp{,6}` for the sockets among `/proc/<pid>/fd`.
//!
//! On loopback nothing else loses packets, so a drop here is a QUIC packet that has to be
//! detected lost and sent again, which shows as latency.

use std::collections::HashSet;

/// Why the drop counters could not be read.
#[derive(Debug, thiserror::Error)]
pub enum UdpError {
    /// `/proc/<pid>/fd` or `/proc/<pid>/net/udp` could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file or directory.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Datagrams dropped so far on every UDP socket process `pid` holds.
pub fn socket_drops(pid: u32) -> Result<u64, UdpError> {
    let inodes = socket_inodes(pid)?;
    let mut drops = 0;
    for table in ["udp", "udp6"] {
        let path = format!("/proc/{pid}/net/{table}");
        let text = std::fs::read_to_string(&path).map_err(|source| UdpError::Read {
            path: path.clone(),
            source,
        })?;
        drops += drops_of(&text, &inodes);
    }
    Ok(drops)
}

/// The inodes of the sockets among a process's file descriptors (`socket:[<inode>]`).
fn socket_inodes(pid: u32) -> Result<HashSet<u64>, UdpError> {
    let path = format!("/proc/{pid}/fd");
    let entries = std::fs::read_dir(&path).map_err(|source| UdpError::Read {
        path: path.clone(),
        source,
    })?;
    // A descriptor closed while we list is simply skipped.
    Ok(entries
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter_map(|target| {
            let target = target.to_str()?;
            target
                .strip_prefix("socket:[")?
                .strip_suffix(']')?
                .parse()
                .ok()
        })
        .collect())
}

/// Sums the `drops` column (the last) of the table's rows whose inode (the tenth column) is
/// in `inodes`. The header and malformed rows count nothing.
fn drops_of(table: &str, inodes: &HashSet<u64>) -> u64 {
    table
        .lines()
        .filter_map(|row| {
            let cols: Vec<&str> = row.split_whitespace().collect();
            let inode: u64 = cols.get(9)?.parse().ok()?;
            let drops: u64 = cols.last()?.parse().ok()?;
            inodes.contains(&inode).then_some(drops)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when \
retrnsmt   uid  timeout inode ref pointer drops\n\
  1: 0100007F:A1B2 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 \
1234 2 0000000000000000 17\n\
  2: 0100007F:C3D4 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 \
5678 2 0000000000000000 5\n";

    #[test]
    fn only_the_processs_sockets_are_counted() {
        assert_eq!(drops_of(TABLE, &HashSet::from([1234])), 17);
        assert_eq!(drops_of(TABLE, &HashSet::from([1234, 5678])), 22);
        assert_eq!(drops_of(TABLE, &HashSet::new()), 0);
    }

    #[test]
    fn the_running_process_can_be_read() {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        assert_eq!(socket_drops(std::process::id()).unwrap(), 0);
        drop(socket);
    }
}
