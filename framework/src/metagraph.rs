//! The metagraph: who is on a subnet, where they serve, and what they hold.
//!
//! A [`Metagraph`] is an immutable snapshot of one subnet at one block: its [`Neuron`]s
//! (uid, hotkey, coldkey, stake, validator permit, activity, scores and [`AxonInfo`]) and
//! its [`Hyperparameters`]. The [`chain`](crate::chain) client reads one from storage; tests
//! and static setups build one by hand with [`Metagraph::new`].
//!
//! Queries are cheap and lock-free: [`Metagraph::by_hotkey`] is a hash lookup,
//! [`Metagraph::by_uid`] an index, [`Metagraph::validators`] and
//! [`Metagraph::axonite_peers`] filter the neurons. A miner can hand a snapshot to its
//! handshake as a [`ValidatorDirectory`](crate::directory::ValidatorDirectory).
//!
//! # Units
//!
//! Stakes and emissions are stored on chain as integers of rao (10⁻⁹ TAO or alpha); here
//! they are `f64` units ([`rao_to_units`]). Scores stored as `u16` fractions (incentive,
//! dividends, trust, ...) are normalised to `0.0..=1.0` ([`u16_to_unit`]).
//!
//! # Telling Axonite axons apart
//!
//! `serve_axon` writes an address, a port, a `version`, a `protocol` byte and two free
//! `placeholder` bytes. The bittensor SDK writes protocol 4 and zero placeholders; Axonite
//! writes protocol 4 too (so older tools still list the axon) and marks itself in the
//! placeholders: `placeholder1 =` [`AXONITE_MAGIC`], `placeholder2 =` the Axonite protocol
//! version. [`AxonInfo::is_axonite`] checks both, so a plain HTTP axon never matches.
//!
//! ```
//! use axonite::metagraph::{AxonInfo, Hyperparameters, Metagraph, Neuron};
//! use axonite::Keypair;
//!
//! let miner = Keypair::generate().hotkey();
//! let mut neuron = Neuron::new(0, miner, Keypair::generate().hotkey());
//! neuron.axon = Some(AxonInfo::axonite("127.0.0.2".parse().unwrap(), 8091));
//! let graph = Metagraph::new(1, 10, [0; 32], vec![neuron], Hyperparameters::default());
//!
//! let peers = graph.axonite_peers();
//! assert_eq!(peers.len(), 1);
//! assert_eq!(peers[0].hotkey, miner);
//! ```

mod axon;
mod hyperparameters;
mod neuron;
mod snapshot;
mod units;

pub use axon::{
    AXON_PROTOCOL, AXONITE_AXON_VERSION, AXONITE_MAGIC, AXONITE_PROTOCOL_VERSION, AxonInfo,
    IP_TYPE_V4, IP_TYPE_V6, IpDecodeError, ip_from_chain, ip_to_chain,
};
pub use hyperparameters::Hyperparameters;
pub use neuron::Neuron;
pub use snapshot::Metagraph;
pub use units::{RAO_PER_TAO, rao_to_units, u16_to_unit, units_to_rao};
