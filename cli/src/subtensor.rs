//! `--subtensor.*`: which chain node to talk to.

use std::fmt;

/// A named Bittensor network and its public entrypoint, as in the SDK's `NETWORK_MAP`
/// (`bittensor/core/settings.py`).
// ValueEnum is written out so that the values carry no help text: with it, clap would switch
// `--help` to its long, multi-line layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Network {
    /// The main network: wss://entrypoint-finney.opentensor.ai:443
    #[default]
    Finney,
    /// The test network: wss://test.finney.opentensor.ai:443
    Test,
    /// A node on this machine: ws://127.0.0.1:9944
    Local,
    /// The main network's archive nodes: wss://archive.chain.opentensor.ai:443
    Archive,
}

// === impl Network ===

impl Network {
    /// The network's WebSocket endpoint.
    pub fn endpoint(self) -> &'static str {
        match self {
            Network::Finney => "wss://entrypoint-finney.opentensor.ai:443",
            Network::Test => "wss://test.finney.opentensor.ai:443",
            Network::Local => "ws://127.0.0.1:9944",
            Network::Archive => "wss://archive.chain.opentensor.ai:443",
        }
    }

    /// The network's name as the flag spells it (`finney`, `test`, `local`, `archive`).
    pub fn name(self) -> &'static str {
        match self {
            Network::Finney => "finney",
            Network::Test => "test",
            Network::Local => "local",
            Network::Archive => "archive",
        }
    }
}

impl clap::ValueEnum for Network {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            Network::Finney,
            Network::Test,
            Network::Local,
            Network::Archive,
        ]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()))
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The subtensor flags of the bittensor SDK: a named network, or a node URL that overrides it.
#[derive(Clone, PartialEq, Eq, clap::Args)]
pub struct SubtensorArgs {
    /// Network whose public entrypoint to use
    #[arg(
        id = "subtensor.network",
        help_heading = "Subtensor",
        long = "subtensor.network",
        env = "AXONITE_SUBTENSOR_NETWORK",
        value_name = "NETWORK",
        value_enum,
        default_value_t = Network::Finney
    )]
    pub network: Network,

    /// Node URL (ws:// or wss://); overrides --subtensor.network
    // The value is not echoed in `--help` or `Debug`: a node URL can carry an API key.
    #[arg(
        id = "subtensor.chain_endpoint",
        help_heading = "Subtensor",
        long = "subtensor.chain_endpoint",
        env = "AXONITE_SUBTENSOR_CHAIN_ENDPOINT",
        value_name = "URL",
        hide_env_values = true,
        value_parser = websocket_url
    )]
    pub chain_endpoint: Option<String>,
}

// === impl SubtensorArgs ===

impl SubtensorArgs {
    /// The node to connect to: `--subtensor.chain_endpoint` when given, else the endpoint of
    /// `--subtensor.network`.
    ///
    /// ```
    /// use axonite_cli::{Network, SubtensorArgs};
    ///
    /// let args = SubtensorArgs { network: Network::Local, chain_endpoint: None };
    /// assert_eq!(args.endpoint(), "ws://127.0.0.1:9944");
    /// ```
    pub fn endpoint(&self) -> String {
        self.chain_endpoint
            .clone()
            .unwrap_or_else(|| self.network.endpoint().to_owned())
    }
}

impl fmt::Debug for SubtensorArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubtensorArgs")
            .field("network", &self.network)
            .field(
                "chain_endpoint",
                &self.chain_endpoint.as_ref().map(|_| "<set>"),
            )
            .finish()
    }
}

/// Accepts `ws://host...` and `wss://host...`; the chain client checks the rest when it
/// connects (plain `ws://` only to loopback unless allowed).
fn websocket_url(value: &str) -> Result<String, String> {
    let lower = value.get(..6).unwrap_or(value).to_ascii_lowercase();
    let rest = if lower.starts_with("wss://") {
        &value[6..]
    } else if lower.starts_with("ws://") {
        &value[5..]
    } else {
        return Err("expected a ws:// or wss:// URL".into());
    };
    if rest.is_empty() || rest.starts_with(['/', ':', '?', '#']) {
        return Err("the URL has no host".into());
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_map_to_the_sdk_entrypoints() {
        let expected = [
            (Network::Finney, "wss://entrypoint-finney.opentensor.ai:443"),
            (Network::Test, "wss://test.finney.opentensor.ai:443"),
            (Network::Local, "ws://127.0.0.1:9944"),
            (Network::Archive, "wss://archive.chain.opentensor.ai:443"),
        ];
        for (network, url) in expected {
            let args = SubtensorArgs {
                network,
                chain_endpoint: None,
            };
            assert_eq!(args.endpoint(), url);
        }
    }

    #[test]
    fn chain_endpoint_overrides_the_network() {
        let args = SubtensorArgs {
            network: Network::Finney,
            chain_endpoint: Some("ws://127.0.0.1:19944".into()),
        };
        assert_eq!(args.endpoint(), "ws://127.0.0.1:19944");
    }

    #[test]
    fn network_names_round_trip_through_clap() {
        use clap::ValueEnum as _;
        for network in Network::value_variants() {
            assert_eq!(Network::from_str(network.name(), false), Ok(*network));
            assert_eq!(network.to_string(), network.name());
        }
    }

    #[test]
    fn only_websocket_urls_with_a_host_are_endpoints() {
        for good in [
            "ws://127.0.0.1:9944",
            "wss://entrypoint-finney.opentensor.ai:443",
            "WSS://node.example/rpc?key=1",
            "ws://[::1]:9944",
        ] {
            assert_eq!(websocket_url(good).as_deref(), Ok(good));
        }
        for bad in [
            "",
            "ws://",
            "wss://",
            "http://x",
            "127.0.0.1:9944",
            "ws:///x",
            "ws",
        ] {
            assert!(websocket_url(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn debug_does_not_show_the_endpoint() {
        let args = SubtensorArgs {
            network: Network::Test,
            chain_endpoint: Some("wss://node.example/?apikey=hunter2".into()),
        };
        let shown = format!("{args:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("Test"));
    }
}
