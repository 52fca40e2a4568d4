//! The immutable snapshot of one subnet at one block, and its queries.

use std::collections::HashMap;

use crate::directory::{ValidatorDirectory, ValidatorInfo};
use crate::identity::Hotkey;
use crate::peer::Peer;

use super::{Hyperparameters, Neuron};

/// A subnet's neurons and hyperparameters as the chain stored them at one block.
///
/// Immutable once built: a monitor publishes a new `Metagraph` per sync (behind an `Arc`),
/// and readers never lock. Hotkey lookups are O(1) through an index built at construction;
/// uid lookups are O(1) when uids are dense (as the pallet keeps them) and O(log n) otherwise.
#[derive(Debug, Clone, PartialEq)]
pub struct Metagraph {
    netuid: u16,
    block: u64,
    block_hash: [u8; 32],
    neurons: Vec<Neuron>,
    hyperparameters: Hyperparameters,
    by_hotkey: HashMap<Hotkey, usize>,
}

// === impl Metagraph ===

impl Metagraph {
    /// Builds a snapshot of subnet `netuid` at `block` from its neurons (in any order; they
    /// are sorted by uid). If two neurons share a hotkey (the pallet never allows it), the one
    /// with the lower uid wins the hotkey lookup.
    ///
    /// ```
    /// use axonite::metagraph::{Hyperparameters, Metagraph, Neuron};
    /// use axonite::Keypair;
    ///
    /// let hotkey = Keypair::generate().hotkey();
    /// let neuron = Neuron::new(0, hotkey, Keypair::generate().hotkey());
    /// let graph = Metagraph::new(1, 100, [0; 32], vec![neuron], Hyperparameters::default());
    /// assert_eq!(graph.by_hotkey(&hotkey).map(|n| n.uid), Some(0));
    /// ```
    pub fn new(
        netuid: u16,
        block: u64,
        block_hash: [u8; 32],
        mut neurons: Vec<Neuron>,
        hyperparameters: Hyperparameters,
    ) -> Self {
        neurons.sort_by_key(|n| n.uid);
        let mut by_hotkey = HashMap::with_capacity(neurons.len());
        for (index, neuron) in neurons.iter().enumerate() {
            by_hotkey.entry(neuron.hotkey).or_insert(index);
        }
        Self {
            netuid,
            block,
            block_hash,
            neurons,
            hyperparameters,
            by_hotkey,
        }
    }

    /// The subnet.
    pub fn netuid(&self) -> u16 {
        self.netuid
    }

    /// The block the snapshot was read at.
    pub fn block(&self) -> u64 {
        self.block
    }

    /// The hash of that block.
    pub fn block_hash(&self) -> &[u8; 32] {
        &self.block_hash
    }

    /// All neurons, in uid order.
    pub fn neurons(&self) -> &[Neuron] {
        &self.neurons
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.neurons.len()
    }

    /// Whether the subnet has no neurons.
    pub fn is_empty(&self) -> bool {
        self.neurons.is_empty()
    }

    /// The subnet's hyperparameters at the same block.
    pub fn hyperparameters(&self) -> &Hyperparameters {
        &self.hyperparameters
    }

    /// The neuron registered with `hotkey`, if any. O(1).
    pub fn by_hotkey(&self, hotkey: &Hotkey) -> Option<&Neuron> {
        self.by_hotkey
            .get(hotkey)
            .and_then(|&i| self.neurons.get(i))
    }

    /// The neuron at `uid`, if any.
    pub fn by_uid(&self, uid: u16) -> Option<&Neuron> {
        match self.neurons.get(usize::from(uid)) {
            Some(n) if n.uid == uid => Some(n),
            _ => self
                .neurons
                .binary_search_by_key(&uid, |n| n.uid)
                .ok()
                .and_then(|i| self.neurons.get(i)),
        }
    }

    /// Whether `hotkey` is registered on the subnet.
    pub fn contains(&self, hotkey: &Hotkey) -> bool {
        self.by_hotkey.contains_key(hotkey)
    }

    /// Neurons holding a validator permit, in uid order.
    pub fn validators(&self) -> impl Iterator<Item = &Neuron> {
        self.neurons.iter().filter(|n| n.validator_permit)
    }

    /// Neurons serving an Axonite axon at a real address, in uid order.
    pub fn axonite_neurons(&self) -> impl Iterator<Item = &Neuron> {
        self.neurons.iter().filter(|n| n.serves_axonite())
    }

    /// The Axonite miners a validator can dial: every neuron whose axon carries the Axonite
    /// marker at this protocol version and a real address, in uid order. Plain bittensor
    /// axons are left out.
    pub fn axonite_peers(&self) -> Vec<Peer> {
        self.axonite_neurons()
            .filter_map(|n| n.axon.map(|a| Peer::new(n.hotkey, a.socket_addr())))
            .collect()
    }

    /// The miners that serve a plain bittensor axon (HTTP, no Axonite marker) at a real
    /// address, in uid order, as legacy peers.
    pub fn legacy_peers(&self) -> Vec<Peer> {
        self.neurons
            .iter()
            .filter(|n| !n.serves_axonite())
            .filter_map(|n| {
                n.axon
                    .filter(|a| {
                        a.is_serving() && a.port != 0 && a.axonite_protocol_version().is_none()
                    })
                    .map(|a| Peer::legacy(n.hotkey, a.socket_addr()))
            })
            .collect()
    }
}

/// Every registered neuron is known, with its uid, stake and permit, so a miner's handlers
/// can see who called; a hotkey that is not registered on the subnet is unknown (`None`).
///
/// A neuron *without* a validator permit is still returned, with
/// `validator_permit: false`: deciding whether such a caller may complete the handshake is
/// the miner's policy (check the permit, and a minimum stake if configured), not the
/// directory's.
impl ValidatorDirectory for Metagraph {
    fn lookup(&self, hotkey: &Hotkey) -> Option<ValidatorInfo> {
        self.by_hotkey(hotkey)
            .map(|n| ValidatorInfo::new(n.uid, n.stake, n.validator_permit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Keypair;
    use crate::metagraph::AxonInfo;

    fn key(seed: u8) -> Hotkey {
        Keypair::from_seed(&[seed; 32]).hotkey()
    }

    /// uid 0: validator with a plain axon; uid 1: Axonite miner; uid 2: never served;
    /// uid 3: Axonite marker but unspecified address.
    fn sample() -> Metagraph {
        let mut validator = Neuron::new(0, key(1), key(100)).with_stake_rao(2_500_000_000);
        validator.validator_permit = true;
        validator.axon = Some(AxonInfo::plain("10.0.0.1".parse().expect("ip"), 8091));
        let mut miner = Neuron::new(1, key(2), key(100));
        miner.axon = Some(AxonInfo::axonite("127.0.0.2".parse().expect("ip"), 9001));
        let silent = Neuron::new(2, key(3), key(101));
        let mut unspecified = Neuron::new(3, key(4), key(101));
        unspecified.axon = Some(AxonInfo::axonite("0.0.0.0".parse().expect("ip"), 9002));
        // Out of order on purpose: construction sorts by uid.
        Metagraph::new(
            7,
            1234,
            [9; 32],
            vec![unspecified, silent, miner, validator],
            Hyperparameters::default(),
        )
    }

    #[test]
    fn lookups_by_hotkey_and_uid_agree() {
        let graph = sample();
        assert_eq!(graph.len(), 4);
        for uid in 0..4u16 {
            let neuron = graph.by_uid(uid).expect("uid exists");
            assert_eq!(neuron.uid, uid);
            assert_eq!(graph.by_hotkey(&neuron.hotkey).map(|n| n.uid), Some(uid));
        }
        assert!(graph.by_uid(4).is_none());
        assert!(graph.by_hotkey(&key(99)).is_none());
        assert!(!graph.contains(&key(99)));
        assert_eq!(
            graph.neurons().iter().map(|n| n.uid).collect::<Vec<_>>(),
            [0, 1, 2, 3]
        );
    }

    #[test]
    fn sparse_uids_are_found_by_search() {
        let neurons = vec![
            Neuron::new(5, key(1), key(2)),
            Neuron::new(9, key(3), key(2)),
        ];
        let graph = Metagraph::new(1, 1, [0; 32], neurons, Hyperparameters::default());
        assert_eq!(graph.by_uid(9).map(|n| n.hotkey), Some(key(3)));
        assert_eq!(graph.by_uid(5).map(|n| n.hotkey), Some(key(1)));
        assert!(graph.by_uid(0).is_none());
        assert!(graph.by_uid(1).is_none());
    }

    #[test]
    fn validators_are_the_permit_holders() {
        let graph = sample();
        let validators: Vec<u16> = graph.validators().map(|n| n.uid).collect();
        assert_eq!(validators, [0]);
    }

    #[test]
    fn only_serving_axonite_axons_become_peers() {
        let graph = sample();
        let peers = graph.axonite_peers();
        assert_eq!(
            peers,
            [Peer::new(key(2), "127.0.0.2:9001".parse().expect("addr"))]
        );
    }

    #[test]
    fn served_plain_axons_become_legacy_peers_and_axonite_ones_never_do() {
        let graph = sample();
        // uid 0's plain axon; uid 1 (Axonite), uid 2 (never served) and uid 3 (Axonite
        // marker, unspecified address) are not legacy peers.
        let peers = graph.legacy_peers();
        assert_eq!(
            peers,
            [Peer::legacy(key(1), "10.0.0.1:8091".parse().expect("addr"))]
        );
        assert_eq!(
            peers[0].to_string(),
            format!("{}@http://10.0.0.1:8091", key(1))
        );
    }

    #[test]
    fn directory_reports_registered_neurons_with_their_permit() {
        let graph = sample();
        let info = graph.lookup(&key(1)).expect("validator is registered");
        assert_eq!(info, ValidatorInfo::new(0, 2.5, true));
        let info = graph.lookup(&key(2)).expect("miner is registered");
        assert_eq!(info, ValidatorInfo::new(1, 0.0, false));
        assert_eq!(graph.lookup(&key(99)), None);
    }

    #[test]
    fn duplicate_hotkeys_resolve_to_the_lowest_uid() {
        let neurons = vec![
            Neuron::new(3, key(1), key(2)),
            Neuron::new(1, key(1), key(2)),
        ];
        let graph = Metagraph::new(1, 1, [0; 32], neurons, Hyperparameters::default());
        assert_eq!(graph.by_hotkey(&key(1)).map(|n| n.uid), Some(1));
    }

    #[test]
    fn accessors_report_what_was_built() {
        let graph = sample();
        assert_eq!(graph.netuid(), 7);
        assert_eq!(graph.block(), 1234);
        assert_eq!(graph.block_hash(), &[9; 32]);
        assert!(!graph.is_empty());
        assert_eq!(graph.hyperparameters(), &Hyperparameters::default());
    }
}
