"""A bittensor 10.5.0 `Axon` serving Dummy and Summation on 127.0.0.1, for the interop
tests (tests/tests/interop_python_axon.rs) and the `legacy` benchmark.

    axon_server.py [--blacklist-all-but SS58]

The axon's hotkey comes from the seed (hex) in AXONITE_TEST_AXON_SEED, or is fresh. Once
serving it prints one JSON line, {"port": ..., "hotkey": ...}; it stops when stdin closes.
With --blacklist-all-but, every other caller is blacklisted (the SDK answers 403).
"""

import argparse
import json
import os
import socket
import sys
import tempfile
import time
from typing import Tuple

from bittensor.utils import networking

# No internet: the Axon asks outside services for the machine's IP on construction.
networking.get_external_ip = lambda: "127.0.0.1"

import bittensor  # noqa: E402
from bittensor_wallet import Keypair, Wallet  # noqa: E402

from synapses import Dummy, Summation, answer_dummy, answer_summation  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, seconds=30.0):
    """The axon serves from a thread: announce the port only once it accepts connections."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--blacklist-all-but", default=None)
    args = parser.parse_args()
    seed = os.environ.get("AXONITE_TEST_AXON_SEED") or "0x" + os.urandom(32).hex()
    keypair = Keypair.create_from_seed(seed)

    wallets = tempfile.TemporaryDirectory()
    wallet = Wallet(name="axon", hotkey="default", path=wallets.name)
    wallet.set_hotkey(keypair, encrypt=False, overwrite=True)
    wallet.set_coldkeypub(keypair, encrypt=False, overwrite=True)

    port = free_port()
    axon = bittensor.Axon(wallet=wallet, ip="127.0.0.1", port=port, external_ip="127.0.0.1")

    allowed = args.blacklist_all_but

    def forward_dummy(synapse: Dummy) -> Dummy:
        return answer_dummy(synapse)

    def blacklist_dummy(synapse: Dummy) -> Tuple[bool, str]:
        if allowed and synapse.dendrite.hotkey != allowed:
            return True, "not the allowed validator"
        return False, "allowed"

    def forward_summation(synapse: Summation) -> Summation:
        return answer_summation(synapse)

    def blacklist_summation(synapse: Summation) -> Tuple[bool, str]:
        if allowed and synapse.dendrite.hotkey != allowed:
            return True, "not the allowed validator"
        return False, "allowed"

    axon.attach(forward_fn=forward_dummy, blacklist_fn=blacklist_dummy)
    axon.attach(forward_fn=forward_summation, blacklist_fn=blacklist_summation)
    axon.start()
    wait_listening(port)
    print(json.dumps({"port": port, "hotkey": keypair.ss58_address}), flush=True)
    try:
        sys.stdin.read()
    finally:
        axon.stop()
        wallets.cleanup()


if __name__ == "__main__":
    main()
