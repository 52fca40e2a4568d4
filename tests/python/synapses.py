"""The Python classes of the synapses in examples/src/legacy.rs (bittensor 10.x).

Field names, types and required_hash_fields must match the Rust definitions: the interop
tests send these from Python dendrites to Axonite miners and serve them from Python axons to
Axonite validators.
"""

from typing import ClassVar, List, Optional

import bittensor


class Dummy(bittensor.Synapse):
    """The SDK's test synapse: the miner answers dummy_output = 2 * dummy_input."""

    dummy_input: int
    dummy_output: Optional[int] = None

    def deserialize(self) -> Optional[int]:
        return self.dummy_output


class Summation(bittensor.Synapse):
    """Every request field is signed through computed_body_hash."""

    required_hash_fields: ClassVar[tuple[str, ...]] = ("values", "label", "scale")

    values: List[int]
    label: str
    scale: float
    total: Optional[float] = None
    echo: Optional[str] = None

    def deserialize(self) -> Optional[float]:
        return self.total


def answer_dummy(synapse: Dummy) -> Dummy:
    """What a miner answers to Dummy (the same as the Rust LegacyMiner)."""
    synapse.dummy_output = synapse.dummy_input * 2
    return synapse


def answer_summation(synapse: Summation) -> Summation:
    """What a miner answers to Summation (the same as the Rust LegacyMiner)."""
    synapse.total = float(sum(synapse.values)) * synapse.scale
    synapse.echo = synapse.label
    return synapse
