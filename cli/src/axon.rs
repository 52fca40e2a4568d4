//! `--axon.*`: where a miner listens and what it advertises on chain.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use clap::builder::BoolishValueParser;

/// The axon flags of the bittensor SDK. Axonite listens on UDP (QUIC) at this port.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct AxonArgs {
    /// Port to listen on
    #[arg(
        id = "axon.port",
        help_heading = "Axon",
        long = "axon.port",
        env = "AXONITE_AXON_PORT",
        value_name = "PORT",
        default_value_t = 8091
    )]
    pub port: u16,

    /// Address to bind (0.0.0.0: every IPv4 interface)
    #[arg(
        id = "axon.ip",
        help_heading = "Axon",
        long = "axon.ip",
        env = "AXONITE_AXON_IP",
        value_name = "IP",
        default_value_t = IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    )]
    pub ip: IpAddr,

    /// Address to advertise on chain (default: --axon.ip, unless it is 0.0.0.0 or ::)
    #[arg(
        id = "axon.external_ip",
        help_heading = "Axon",
        long = "axon.external_ip",
        env = "AXONITE_AXON_EXTERNAL_IP",
        value_name = "IP"
    )]
    pub external_ip: Option<IpAddr>,

    /// Port to advertise on chain (default: --axon.port)
    #[arg(
        id = "axon.external_port",
        help_heading = "Axon",
        long = "axon.external_port",
        env = "AXONITE_AXON_EXTERNAL_PORT",
        value_name = "PORT",
        value_parser = clap::value_parser!(u16).range(1..)
    )]
    pub external_port: Option<u16>,

    /// Also answer bittensor 10.x dendrites and btauth/1 clients over HTTP, on TCP at the
    /// same port (for validators still on the Python SDK)
    #[arg(
        id = "axon.legacy_http",
        help_heading = "Axon",
        long = "axon.legacy_http",
        env = "AXONITE_AXON_LEGACY_HTTP",
        value_parser = BoolishValueParser::new(),
        action = clap::ArgAction::SetTrue
    )]
    pub legacy_http: bool,
}

// === impl AxonArgs ===

impl AxonArgs {
    /// The address to bind: `--axon.ip` and `--axon.port`.
    pub fn listen(&self) -> SocketAddr {
        SocketAddr::new(self.ip, self.port)
    }

    /// The address to advertise on chain (`serve_axon`): `--axon.external_ip`, else
    /// `--axon.ip` when it names one address, with `--axon.external_port`, else
    /// `--axon.port`.
    ///
    /// `None` when no address is known (binding 0.0.0.0 or `::` without
    /// `--axon.external_ip`: the caller must find its public address) or the port would be
    /// 0 (`--axon.port 0` picks a port at bind time: advertise the bound one).
    ///
    /// ```
    /// use axonite_cli::AxonArgs;
    ///
    /// let axon = AxonArgs {
    ///     port: 8091,
    ///     ip: "0.0.0.0".parse()?,
    ///     external_ip: Some("203.0.113.7".parse()?),
    ///     external_port: None,
    ///     legacy_http: false,
    /// };
    /// assert_eq!(axon.listen(), "0.0.0.0:8091".parse()?);
    /// assert_eq!(axon.external(), Some("203.0.113.7:8091".parse()?));
    /// # Ok::<(), std::net::AddrParseError>(())
    /// ```
    pub fn external(&self) -> Option<SocketAddr> {
        let ip = self
            .external_ip
            .or_else(|| (!self.ip.is_unspecified()).then_some(self.ip))?;
        let port = self.external_port.unwrap_or(self.port);
        (port != 0).then(|| SocketAddr::new(ip, port))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axon(
        ip: &str,
        port: u16,
        external_ip: Option<&str>,
        external_port: Option<u16>,
    ) -> AxonArgs {
        AxonArgs {
            port,
            ip: ip.parse().unwrap(),
            external_ip: external_ip.map(|ip| ip.parse().unwrap()),
            external_port,
            legacy_http: false,
        }
    }

    #[test]
    fn listen_is_ip_and_port() {
        assert_eq!(
            axon("127.0.0.2", 9000, None, None).listen(),
            "127.0.0.2:9000".parse().unwrap()
        );
        assert_eq!(
            axon("::", 8091, None, None).listen(),
            "[::]:8091".parse().unwrap()
        );
    }

    #[test]
    fn external_address_falls_back_field_by_field() {
        let cases = [
            (axon("0.0.0.0", 8091, None, None), None),
            (axon("::", 8091, None, Some(9000)), None),
            (axon("10.0.0.5", 8091, None, None), Some("10.0.0.5:8091")),
            (
                axon("0.0.0.0", 8091, Some("203.0.113.7"), None),
                Some("203.0.113.7:8091"),
            ),
            (
                axon("10.0.0.5", 8091, Some("203.0.113.7"), Some(443)),
                Some("203.0.113.7:443"),
            ),
            (axon("10.0.0.5", 0, None, None), None),
            (axon("10.0.0.5", 0, None, Some(9000)), Some("10.0.0.5:9000")),
        ];
        for (args, expected) in cases {
            assert_eq!(
                args.external(),
                expected.map(|a| a.parse().unwrap()),
                "{args:?}"
            );
        }
    }
}
