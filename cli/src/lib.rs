//! The command line of Axonite miner and validator binaries, with bittensor's flag names.
//!
//! Subnet teams know `--wallet.name`, `--netuid`, `--subtensor.network` and `--axon.port`
//! from the Python SDK. This crate gives their Rust binaries the same flags as [clap] argument
//! structs to flatten into their own parser, plus two more sources for every flag:
//!
//! - an **environment variable**: `AXONITE_` and the flag's name in capitals with `.` and `-`
//!   turned into `_` (`--wallet.name` is `AXONITE_WALLET_NAME`, `--netuid` is
//!   `AXONITE_NETUID`; see [`env_var_name`]);
//! - a **TOML config file** given with `--config <FILE>` (or `AXONITE_CONFIG`), whose keys are
//!   the flag names, with tables for the dotted parts:
//!
//! ```toml
//! netuid = 7
//!
//! [wallet]
//! name = "miner"
//! hotkey = "default"
//!
//! [axon]
//! port = 8091
//! ```
//!
//! A value from the command line wins over the environment, which wins over the file, which
//! wins over the default. Boolean variables take `1`/`0`, `true`/`false`, `yes`/`no`,
//! `on`/`off`; an empty variable is an invalid value (an error naming the flag), not an unset
//! one. Errors are one line: `error: invalid value 'x' for '--axon.port <PORT>': ...`,
//! `error: config file miner.toml: axon.port: invalid value 'x' ...`. Flags a subnet adds to its own parser get the file layer too
//! (`--my.flag` is `[my] flag = ...`); their environment variable is whatever they declare.
//!
//! ```no_run
//! use axonite_cli::MinerArgs;
//! use clap::Parser;
//!
//! /// My subnet's miner.
//! #[derive(Parser)]
//! struct Cli {
//!     #[command(flatten)]
//!     miner: MinerArgs,
//!     /// Model to serve.
//!     #[arg(long = "model.name", env = "AXONITE_MODEL_NAME", default_value = "tiny")]
//!     model: String,
//! }
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     // Flags > environment > --config file > defaults; a bad value exits with status 2 and
//!     // one line that names the flag (or the file and key).
//!     let cli: Cli = axonite_cli::parse();
//!     cli.miner.logging.init()?;
//!     let keypair = cli.miner.wallet.load_hotkey()?;
//!     let listen = cli.miner.axon.listen();
//!     let endpoint = cli.miner.subtensor.endpoint();
//!     // ... Miner::builder(keypair).netuid(cli.miner.netuid).listen(listen) ...
//!     # let _ = (keypair, listen, endpoint);
//!     Ok(())
//! }
//! ```
//!
//! Parsing with plain `Cli::parse()` also works, but reads no config file: use [`parse`] or
//! [`Layered`], which also reports where each value came from ([`Sources`]).

#![warn(missing_docs, unreachable_pub)]

mod axon;
mod config_file;
mod env;
mod layered;
mod logging;
mod one_line;
mod roles;
mod subtensor;
mod wallet;

pub use axon::AxonArgs;
pub use config_file::{ConfigFile, ConfigFileError};
pub use env::env_var_name;
pub use layered::{Layered, PRECEDENCE_HELP, Source, Sources, parse, try_parse_from};
pub use logging::{LoggingArgs, LoggingError};
pub use one_line::one_line;
pub use roles::{DEFAULT_NETUID, MinerArgs, ValidatorArgs};
pub use subtensor::{Network, SubtensorArgs};
pub use wallet::{DEFAULT_WALLET_PATH, WalletArgs};
