//! The flag sets of a miner and of a validator.

use std::path::PathBuf;

use crate::{AxonArgs, LoggingArgs, SubtensorArgs, WalletArgs};

/// The default `--netuid`, as in the bittensor subnet template. A subnet sets its own with
/// [`Layered::default_value`](crate::Layered::default_value).
pub const DEFAULT_NETUID: u16 = 1;

/// Every flag a miner takes: wallet, subtensor, netuid, axon, logging and `--config`.
///
/// Flatten it into the binary's parser with `#[command(flatten)]` and parse with
/// [`parse`](crate::parse) so that the config file is read.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct MinerArgs {
    /// `--wallet.*`: the hotkey to serve with.
    #[command(flatten)]
    pub wallet: WalletArgs,

    /// `--subtensor.*`: the chain.
    #[command(flatten)]
    pub subtensor: SubtensorArgs,

    /// Subnet to serve on
    #[arg(
        id = "netuid",
        long = "netuid",
        env = "AXONITE_NETUID",
        value_name = "NETUID",
        default_value_t = DEFAULT_NETUID,
        help_heading = "Subtensor"
    )]
    pub netuid: u16,

    /// `--axon.*`: where to listen and what to advertise.
    #[command(flatten)]
    pub axon: AxonArgs,

    /// `--logging.*`: log level and format.
    #[command(flatten)]
    pub logging: LoggingArgs,

    /// `--config`: a TOML file of settings keyed by flag name (`netuid = 7`,
    /// `[wallet] name = "miner"`), read by [`parse`](crate::parse) and [`Layered`](crate::Layered).
    #[arg(
        id = "config",
        long = "config",
        env = "AXONITE_CONFIG",
        value_name = "FILE",
        help = "TOML file of settings keyed by flag name: netuid = 7, [wallet] name = \"miner\""
    )]
    pub config: Option<PathBuf>,
}

/// Every flag a validator takes: wallet, subtensor, netuid, logging and `--config`.
///
/// Validators dial miners and serve nothing, so there are no `--axon.*` flags.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct ValidatorArgs {
    /// `--wallet.*`: the hotkey to query and set weights with.
    #[command(flatten)]
    pub wallet: WalletArgs,

    /// `--subtensor.*`: the chain.
    #[command(flatten)]
    pub subtensor: SubtensorArgs,

    /// Subnet to validate on
    #[arg(
        id = "netuid",
        long = "netuid",
        env = "AXONITE_NETUID",
        value_name = "NETUID",
        default_value_t = DEFAULT_NETUID,
        help_heading = "Subtensor"
    )]
    pub netuid: u16,

    /// `--logging.*`: log level and format.
    #[command(flatten)]
    pub logging: LoggingArgs,

    /// `--config`: a TOML file of settings keyed by flag name (`netuid = 7`,
    /// `[wallet] name = "validator"`), read by [`parse`](crate::parse) and [`Layered`](crate::Layered).
    #[arg(
        id = "config",
        long = "config",
        env = "AXONITE_CONFIG",
        value_name = "FILE",
        help = "TOML file of settings keyed by flag name: netuid = 7, [wallet] name = \"validator\""
    )]
    pub config: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use clap::{Args, Command};

    use super::*;
    use crate::env_var_name;

    /// The flag names each role must accept: bittensor's, and `axon.legacy_http`.
    const MINER_FLAGS: [&str; 15] = [
        "wallet.name",
        "wallet.hotkey",
        "wallet.path",
        "subtensor.network",
        "subtensor.chain_endpoint",
        "netuid",
        "axon.port",
        "axon.ip",
        "axon.external_ip",
        "axon.external_port",
        "axon.legacy_http",
        "logging.debug",
        "logging.trace",
        "logging.json",
        "config",
    ];

    fn longs(cmd: &Command) -> Vec<&str> {
        cmd.get_arguments().filter_map(|a| a.get_long()).collect()
    }

    #[test]
    fn miner_takes_the_bittensor_flags_and_axon_legacy_http() {
        let cmd = MinerArgs::augment_args(Command::new("miner"));
        let mut found = longs(&cmd);
        found.sort_unstable();
        let mut expected = MINER_FLAGS.to_vec();
        expected.sort_unstable();
        assert_eq!(found, expected);
    }

    #[test]
    fn validator_takes_the_miner_flags_but_axon() {
        let cmd = ValidatorArgs::augment_args(Command::new("validator"));
        let mut found = longs(&cmd);
        found.sort_unstable();
        let mut expected: Vec<_> = MINER_FLAGS
            .into_iter()
            .filter(|f| !f.starts_with("axon."))
            .collect();
        expected.sort_unstable();
        assert_eq!(found, expected);
    }

    #[test]
    fn every_flag_reads_the_environment_variable_of_the_scheme() {
        for cmd in [
            MinerArgs::augment_args(Command::new("miner")),
            ValidatorArgs::augment_args(Command::new("validator")),
        ] {
            for arg in cmd.get_arguments() {
                let long = arg.get_long().unwrap();
                assert_eq!(
                    arg.get_env().and_then(|e| e.to_str()),
                    Some(env_var_name(long).as_str()),
                    "--{long}"
                );
                // The id is the flag name, so that flattened structs never collide.
                assert_eq!(arg.get_id().as_str(), long);
            }
        }
    }
}
