//! `--miners`: the miners a validator queries without a chain (static peers).

use std::collections::HashSet;
use std::net::SocketAddr;

use axonite::{Hotkey, Peer};

/// Why a `--miners` entry or list is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeersError {
    /// The entry is not `<hotkey>@<ip:port>`.
    #[error("expected <hotkey>@<ip:port>, e.g. 5F...@127.0.0.1:8091")]
    Shape,
    /// The part before `@` is not an SS58 address.
    #[error("bad hotkey: {0}")]
    Hotkey(String),
    /// The part after `@` is not an `ip:port` socket address.
    #[error("bad address: {0}")]
    Addr(String),
    /// The same hotkey is listed twice (its answers would count twice).
    #[error("miner {0} is listed twice")]
    Duplicate(Hotkey),
    /// More miners than uids (`u16`).
    #[error("{0} miners listed; at most 65536")]
    TooMany(usize),
}

/// Parses one `<hotkey>@<ip:port>` entry.
pub fn parse_peer(entry: &str) -> Result<Peer, PeersError> {
    let (hotkey, addr) = entry.trim().split_once('@').ok_or(PeersError::Shape)?;
    let hotkey: Hotkey = hotkey
        .parse()
        .map_err(|e: axonite::identity::IdentityError| PeersError::Hotkey(e.to_string()))?;
    let addr: SocketAddr = addr
        .parse()
        .map_err(|e: std::net::AddrParseError| PeersError::Addr(e.to_string()))?;
    Ok(Peer::new(hotkey, addr))
}

/// Checks a whole list: each hotkey once, and few enough that each gets a `u16` uid (its
/// position in the list).
pub fn check_peers(peers: &[Peer]) -> Result<(), PeersError> {
    if peers.len() > usize::from(u16::MAX) + 1 {
        return Err(PeersError::TooMany(peers.len()));
    }
    let mut seen = HashSet::new();
    match peers.iter().find(|p| !seen.insert(p.hotkey)) {
        Some(dup) => Err(PeersError::Duplicate(dup.hotkey)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use axonite::Keypair;

    use super::*;

    #[test]
    fn an_entry_is_hotkey_at_address() {
        let hotkey = Keypair::generate().hotkey();
        let peer = parse_peer(&format!("{hotkey}@127.0.0.1:8091")).unwrap();
        assert_eq!(peer, Peer::new(hotkey, "127.0.0.1:8091".parse().unwrap()));
    }

    #[test]
    fn malformed_entries_say_which_part_is_wrong() {
        let hotkey = Keypair::generate().hotkey();
        assert_eq!(parse_peer("127.0.0.1:8091"), Err(PeersError::Shape));
        assert!(matches!(
            parse_peer("5Fnothotkey@127.0.0.1:8091"),
            Err(PeersError::Hotkey(_))
        ));
        assert!(matches!(
            parse_peer(&format!("{hotkey}@localhost")),
            Err(PeersError::Addr(_))
        ));
    }

    #[test]
    fn a_hotkey_listed_twice_is_refused() {
        let hotkey = Keypair::generate().hotkey();
        let a = Peer::new(hotkey, "127.0.0.1:1".parse().unwrap());
        let b = Peer::new(hotkey, "127.0.0.1:2".parse().unwrap());
        assert_eq!(check_peers(&[a]), Ok(()));
        assert_eq!(check_peers(&[a, b]), Err(PeersError::Duplicate(hotkey)));
    }
}
