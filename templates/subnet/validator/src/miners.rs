//! Which miners a round queries: a fixed list, or the chain's metagraph.

use axonite::Peer;
use axonite_actors::Validator;

/// The miners a round queries, each with the uid its score goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Miners {
    /// A fixed list (`--miners`, no chain): a miner's uid is its position in the list.
    Static(Vec<Peer>),
    /// The Axonite miners in the validator's latest metagraph snapshot, with their uids.
    /// Registrations, moves and deregistrations show up in the next round.
    Metagraph,
}

impl Miners {
    /// The miners to query now, in uid order. `None` while the validator follows a chain
    /// but has not read the metagraph yet.
    pub fn current(&self, validator: &Validator) -> Option<Vec<(u16, Peer)>> {
        match self {
            Miners::Static(peers) => Some((0..=u16::MAX).zip(peers.iter().copied()).collect()),
            Miners::Metagraph => {
                let graph = validator.metagraph()?.current()?;
                let me = validator.hotkey();
                Some(
                    graph
                        .axonite_neurons()
                        // A validator that also serves an axon does not score itself.
                        .filter(|n| n.hotkey != me)
                        .filter_map(|n| {
                            n.axon
                                .map(|a| (n.uid, Peer::new(n.hotkey, a.socket_addr())))
                        })
                        .collect(),
                )
            }
        }
    }
}
