//! An axon: where a neuron says it can be reached, as `serve_axon` wrote it on chain.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::protocol::PROTOCOL_VERSION;

/// The value Axonite writes to an axon's `placeholder1` to say "this axon speaks Axonite".
///
/// The pallet stores `placeholder1` and `placeholder2` without validating them, and the
/// bittensor SDK always writes 0 to both, so a plain HTTP axon never carries this marker.
pub const AXONITE_MAGIC: u8 = 0xA7;

/// The Axonite wire protocol version as written to an axon's `placeholder2`
/// ([`PROTOCOL_VERSION`] as a byte).
pub const AXONITE_PROTOCOL_VERSION: u8 = {
    assert!(
        PROTOCOL_VERSION <= u8::MAX as u16,
        "protocol version must fit in a byte"
    );
    PROTOCOL_VERSION as u8
};

/// The `protocol` value Axonite serves with: 4, the bittensor SDK's default, so tools that
/// know only plain axons still list an Axonite miner as an ordinary axon. The pallet accepts
/// any byte here; the Axonite marker lives in the placeholders instead.
pub const AXON_PROTOCOL: u8 = 4;

/// The `version` Axonite advertises: this crate's version as bittensor encodes its own
/// (`100 * major + 10 * minor + patch`).
pub const AXONITE_AXON_VERSION: u32 = 100 * parse_u32(env!("CARGO_PKG_VERSION_MAJOR"))
    + 10 * parse_u32(env!("CARGO_PKG_VERSION_MINOR"))
    + parse_u32(env!("CARGO_PKG_VERSION_PATCH"));

/// Parses a decimal version component at compile time; non-digits end the number.
const fn parse_u32(s: &str) -> u32 {
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut n: u32 = 0;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        n = n
            .saturating_mul(10)
            .saturating_add((bytes[i] - b'0') as u32);
        i += 1;
    }
    n
}

/// What a neuron advertised with `serve_axon`: an address, a port and four small integers
/// whose meaning is up to the software serving it.
///
/// An axon that was never served does not exist on chain (the neuron's `axon` is `None`); an
/// axon served with an all-zero address exists but [is not serving](AxonInfo::is_serving).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AxonInfo {
    /// The advertised address (IPv4 or IPv6).
    pub ip: IpAddr,
    /// The advertised port. Axonite serves QUIC on this UDP port.
    pub port: u16,
    /// Software version of the server, as its author encodes it.
    pub version: u32,
    /// Protocol byte; 4 for the bittensor SDK and for Axonite ([`AXON_PROTOCOL`]).
    pub protocol: u8,
    /// Free byte; [`AXONITE_MAGIC`] on Axonite axons, 0 on plain bittensor axons.
    pub placeholder1: u8,
    /// Free byte; the Axonite protocol version on Axonite axons, 0 on plain bittensor axons.
    pub placeholder2: u8,
    /// Block at which the axon was last served (0 for a value built locally).
    pub block: u64,
}

// === impl AxonInfo ===

impl AxonInfo {
    /// The advertisement of an Axonite miner at `ip:port`: protocol [`AXON_PROTOCOL`],
    /// version [`AXONITE_AXON_VERSION`], and the Axonite marker in the placeholders.
    ///
    /// ```
    /// use axonite::metagraph::AxonInfo;
    ///
    /// let axon = AxonInfo::axonite("127.0.0.2".parse().unwrap(), 8091);
    /// assert!(axon.is_axonite());
    /// assert!(axon.is_serving());
    /// ```
    pub fn axonite(ip: IpAddr, port: u16) -> Self {
        Self {
            ip,
            port,
            version: AXONITE_AXON_VERSION,
            protocol: AXON_PROTOCOL,
            placeholder1: AXONITE_MAGIC,
            placeholder2: AXONITE_PROTOCOL_VERSION,
            block: 0,
        }
    }

    /// A plain bittensor axon at `ip:port` (protocol 4, placeholders 0), as the Python SDK
    /// serves it.
    pub fn plain(ip: IpAddr, port: u16) -> Self {
        Self {
            ip,
            port,
            version: 0,
            protocol: AXON_PROTOCOL,
            placeholder1: 0,
            placeholder2: 0,
            block: 0,
        }
    }

    /// Whether the axon advertises an address at all: the bittensor SDK's test, an address
    /// other than `0.0.0.0` (or `::`).
    pub fn is_serving(&self) -> bool {
        !self.ip.is_unspecified()
    }

    /// Whether this axon speaks Axonite at this crate's protocol version: `placeholder1` is
    /// [`AXONITE_MAGIC`] and `placeholder2` is [`AXONITE_PROTOCOL_VERSION`].
    ///
    /// Plain bittensor axons write 0 to both placeholders, so they never match (unlike a
    /// `protocol == 4` test, which matches every plain HTTP axon).
    pub fn is_axonite(&self) -> bool {
        self.axonite_protocol_version() == Some(AXONITE_PROTOCOL_VERSION)
    }

    /// The Axonite protocol version this axon advertises, whatever it is, or `None` when the
    /// axon carries no Axonite marker.
    pub fn axonite_protocol_version(&self) -> Option<u8> {
        (self.placeholder1 == AXONITE_MAGIC).then_some(self.placeholder2)
    }

    /// The advertised address and port.
    pub fn socket_addr(&self) -> SocketAddr {
        SocketAddr::new(self.ip, self.port)
    }
}

impl fmt::Display for AxonInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.socket_addr())?;
        if self.is_axonite() {
            f.write_str(" (axonite)")?;
        }
        Ok(())
    }
}

// === IP encoding ===

/// `ip_type` of an IPv4 address on chain.
pub const IP_TYPE_V4: u8 = 4;
/// `ip_type` of an IPv6 address on chain.
pub const IP_TYPE_V6: u8 = 6;

/// Encodes an address as the pallet stores it: the address as a big-endian integer in a
/// `u128` (IPv4 in the low 32 bits), and `ip_type` 4 or 6.
///
/// ```
/// use axonite::metagraph::ip_to_chain;
///
/// assert_eq!(ip_to_chain("1.2.3.4".parse().unwrap()), (0x0102_0304, 4));
/// assert_eq!(ip_to_chain("::2".parse().unwrap()), (2, 6));
/// ```
pub fn ip_to_chain(ip: IpAddr) -> (u128, u8) {
    match ip {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), IP_TYPE_V4),
        IpAddr::V6(v6) => (u128::from(v6), IP_TYPE_V6),
    }
}

/// Decodes an address the pallet stored as `(ip, ip_type)`.
///
/// `ip_type` 0 with `ip` 0 is the pallet's "never served" default and decodes to `0.0.0.0`.
pub fn ip_from_chain(ip: u128, ip_type: u8) -> Result<IpAddr, IpDecodeError> {
    match ip_type {
        IP_TYPE_V4 => u32::try_from(ip)
            .map(|v| IpAddr::V4(Ipv4Addr::from(v)))
            .map_err(|_| IpDecodeError::Ipv4OutOfRange),
        IP_TYPE_V6 => Ok(IpAddr::V6(Ipv6Addr::from(ip))),
        0 if ip == 0 => Ok(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        other => Err(IpDecodeError::UnknownIpType(other)),
    }
}

/// Why an address stored on chain could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IpDecodeError {
    /// `ip_type` is neither 4 nor 6.
    #[error("unknown ip_type {0} (expected 4 or 6)")]
    UnknownIpType(u8),
    /// `ip_type` is 4 but the value does not fit in 32 bits.
    #[error("IPv4 address out of range")]
    Ipv4OutOfRange,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ipv4_encodes_as_a_big_endian_integer_with_type_4() {
        let ip: IpAddr = "127.0.0.2".parse().expect("valid");
        assert_eq!(ip_to_chain(ip), (0x7f00_0002, 4));
        assert_eq!(ip_from_chain(0x7f00_0002, 4), Ok(ip));
        let ip: IpAddr = "255.255.255.254".parse().expect("valid");
        assert_eq!(ip_to_chain(ip), (0xffff_fffe, 4));
    }

    #[test]
    fn ipv6_encodes_as_a_big_endian_integer_with_type_6() {
        let ip: IpAddr = "2001:db8::1".parse().expect("valid");
        let (value, ty) = ip_to_chain(ip);
        assert_eq!(ty, 6);
        assert_eq!(value, 0x2001_0db8_0000_0000_0000_0000_0000_0001);
        assert_eq!(ip_from_chain(value, 6), Ok(ip));
    }

    #[test]
    fn never_served_default_decodes_to_unspecified() {
        let ip = ip_from_chain(0, 0).expect("default decodes");
        assert!(ip.is_unspecified());
    }

    #[test]
    fn bad_chain_addresses_are_errors_not_panics() {
        assert_eq!(
            ip_from_chain(u128::from(u32::MAX) + 1, 4),
            Err(IpDecodeError::Ipv4OutOfRange)
        );
        assert_eq!(ip_from_chain(5, 5), Err(IpDecodeError::UnknownIpType(5)));
        assert_eq!(ip_from_chain(1, 0), Err(IpDecodeError::UnknownIpType(0)));
    }

    #[test]
    fn axonite_constructor_carries_the_marker() {
        let axon = AxonInfo::axonite("127.0.0.2".parse().expect("valid"), 9000);
        assert_eq!(axon.placeholder1, AXONITE_MAGIC);
        assert_eq!(axon.placeholder2, PROTOCOL_VERSION as u8);
        assert_eq!(axon.protocol, 4);
        assert!(axon.is_axonite());
        assert_eq!(
            axon.axonite_protocol_version(),
            Some(AXONITE_PROTOCOL_VERSION)
        );
        assert_eq!(axon.socket_addr(), "127.0.0.2:9000".parse().expect("valid"));
        assert_eq!(axon.to_string(), "127.0.0.2:9000 (axonite)");
    }

    #[test]
    fn plain_bittensor_axons_never_look_like_axonite() {
        let plain = AxonInfo::plain("10.0.0.1".parse().expect("valid"), 8091);
        assert_eq!(plain.protocol, 4, "plain axons use protocol 4 too");
        assert!(!plain.is_axonite());
        assert_eq!(plain.axonite_protocol_version(), None);
    }

    #[test]
    fn another_axonite_protocol_version_is_recognised_but_not_current() {
        let mut axon = AxonInfo::axonite("10.0.0.1".parse().expect("valid"), 1);
        axon.placeholder2 = AXONITE_PROTOCOL_VERSION.wrapping_add(1);
        assert!(!axon.is_axonite());
        assert_eq!(
            axon.axonite_protocol_version(),
            Some(AXONITE_PROTOCOL_VERSION.wrapping_add(1))
        );
    }

    #[test]
    fn zero_address_is_not_serving() {
        let axon = AxonInfo::axonite(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 9000);
        assert!(!axon.is_serving());
        let axon = AxonInfo::axonite(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 9000);
        assert!(!axon.is_serving());
    }

    #[test]
    fn advertised_version_follows_the_crate_version() {
        let major: u32 = env!("CARGO_PKG_VERSION_MAJOR").parse().expect("number");
        let minor: u32 = env!("CARGO_PKG_VERSION_MINOR").parse().expect("number");
        let patch: u32 = env!("CARGO_PKG_VERSION_PATCH").parse().expect("number");
        assert_eq!(AXONITE_AXON_VERSION, 100 * major + 10 * minor + patch);
    }

    proptest! {
        #[test]
        fn any_ip_round_trips(ip in any::<IpAddr>()) {
            let (value, ty) = ip_to_chain(ip);
            prop_assert_eq!(ip_from_chain(value, ty), Ok(ip));
        }

        #[test]
        fn decoding_never_panics(value in any::<u128>(), ty in any::<u8>()) {
            let _ = ip_from_chain(value, ty);
        }
    }
}
