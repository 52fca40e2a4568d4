//! What changed between two metagraph snapshots.

use std::collections::HashMap;

use axonite::Hotkey;
use axonite::metagraph::{AxonInfo, Metagraph};

/// One change between two snapshots of a subnet, as a validator pool or a miner's gate
/// needs to hear it.
#[derive(Debug, Clone, PartialEq)]
pub enum MetagraphEvent {
    /// A hotkey took a uid (new registration, or a uid reassigned to a new hotkey).
    Registered {
        /// The uid.
        uid: u16,
        /// The new hotkey at that uid.
        hotkey: Hotkey,
    },
    /// A hotkey left the subnet (deregistered, or its uid was taken by another hotkey).
    Deregistered {
        /// The uid it had.
        uid: u16,
        /// The hotkey that left.
        hotkey: Hotkey,
    },
    /// A neuron's advertised axon changed (new address, port, or protocol marker).
    AxonChanged {
        /// The neuron's hotkey.
        hotkey: Hotkey,
        /// Before.
        old: Option<AxonInfo>,
        /// After.
        new: Option<AxonInfo>,
    },
    /// A neuron gained or lost its validator permit.
    PermitChanged {
        /// The neuron's hotkey.
        hotkey: Hotkey,
        /// Whether it holds a permit now.
        permit: bool,
    },
}

/// The events that turn `old` into `new`, by hotkey: deregistrations first (in `old`'s uid
/// order), then, neuron by neuron in `new`'s uid order, registrations, axon changes and
/// permit changes.
pub fn diff(old: &Metagraph, new: &Metagraph) -> Vec<MetagraphEvent> {
    let before: HashMap<Hotkey, _> = old.neurons().iter().map(|n| (n.hotkey, n)).collect();
    let after: HashMap<Hotkey, _> = new.neurons().iter().map(|n| (n.hotkey, n)).collect();
    let mut events = Vec::new();
    for n in old.neurons() {
        if !after.contains_key(&n.hotkey) {
            events.push(MetagraphEvent::Deregistered {
                uid: n.uid,
                hotkey: n.hotkey,
            });
        }
    }
    for n in new.neurons() {
        match before.get(&n.hotkey) {
            None => events.push(MetagraphEvent::Registered {
                uid: n.uid,
                hotkey: n.hotkey,
            }),
            Some(was) => {
                // Compare what a connection depends on, not the block it was written at.
                if was.axon.map(endpoint) != n.axon.map(endpoint) {
                    events.push(MetagraphEvent::AxonChanged {
                        hotkey: n.hotkey,
                        old: was.axon,
                        new: n.axon,
                    });
                }
                if was.validator_permit != n.validator_permit {
                    events.push(MetagraphEvent::PermitChanged {
                        hotkey: n.hotkey,
                        permit: n.validator_permit,
                    });
                }
            }
        }
    }
    events
}

fn endpoint(axon: AxonInfo) -> (std::net::SocketAddr, u8, u8, u8) {
    (
        axon.socket_addr(),
        axon.protocol,
        axon.placeholder1,
        axon.placeholder2,
    )
}

#[cfg(test)]
mod tests {
    use axonite::Keypair;
    use axonite::metagraph::{Hyperparameters, Neuron};

    use super::*;

    fn graph(block: u64, neurons: Vec<Neuron>) -> Metagraph {
        Metagraph::new(1, block, [0; 32], neurons, Hyperparameters::default())
    }

    fn neuron(uid: u16, hotkey: Hotkey) -> Neuron {
        Neuron::new(uid, hotkey, Keypair::generate().hotkey())
    }

    #[test]
    fn registrations_deregistrations_axon_and_permit_changes_are_reported() {
        let (a, b, c) = (
            Keypair::generate().hotkey(),
            Keypair::generate().hotkey(),
            Keypair::generate().hotkey(),
        );
        let mut na = neuron(0, a);
        na.axon = Some(AxonInfo::axonite("127.0.0.2".parse().unwrap(), 8091));
        let old = graph(1, vec![na.clone(), neuron(1, b)]);

        let mut na2 = na.clone();
        na2.axon = Some(AxonInfo::axonite("127.0.0.2".parse().unwrap(), 9000));
        na2.validator_permit = true;
        // b deregistered; c took uid 1.
        let new = graph(2, vec![na2.clone(), neuron(1, c)]);

        assert_eq!(
            diff(&old, &new),
            vec![
                MetagraphEvent::Deregistered { uid: 1, hotkey: b },
                MetagraphEvent::AxonChanged {
                    hotkey: a,
                    old: na.axon,
                    new: na2.axon
                },
                MetagraphEvent::PermitChanged {
                    hotkey: a,
                    permit: true
                },
                MetagraphEvent::Registered { uid: 1, hotkey: c },
            ]
        );
    }

    #[test]
    fn re_serving_the_same_endpoint_at_a_later_block_is_not_a_change() {
        let a = Keypair::generate().hotkey();
        let mut n = neuron(0, a);
        n.axon = Some(AxonInfo::axonite("127.0.0.2".parse().unwrap(), 8091));
        let mut later = n.clone();
        if let Some(axon) = later.axon.as_mut() {
            axon.block += 100;
        }
        assert!(diff(&graph(1, vec![n]), &graph(2, vec![later])).is_empty());
    }
}
