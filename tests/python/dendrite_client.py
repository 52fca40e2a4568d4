"""A bittensor 10.5.0 dendrite querying an axon, for tests/tests/interop_python_dendrite.rs.

    dendrite_client.py query   --ip IP --port PORT --hotkey SS58
    dendrite_client.py attacks --ip IP --port PORT --hotkey SS58
    dendrite_client.py concurrent --ip IP --port PORT --hotkey SS58

The dendrite's key comes from the seed (hex) in AXONITE_TEST_DENDRITE_SEED. `query` sends
Dummy and Summation with the SDK's own Dendrite and prints one JSON line per answer.
`attacks` sends requests the SDK's dendrite would never send (built with its own
preprocessing, then sent raw): a replay, a stale nonce, a body changed after signing, a
signature by another key, then a good request; it prints one JSON line of statuses.
`concurrent` sends 64 Dummy queries at once (their nonces reach the axon out of order) and
prints how many were answered right.
"""

import argparse
import asyncio
import json
import os
import sys
import threading
import time

from bittensor.utils import networking

# No internet: the Dendrite asks outside services for the machine's IP on construction. An
# address that is not the target's keeps the URL on the target's own IP.
networking.get_external_ip = lambda: "192.0.2.1"

import aiohttp  # noqa: E402
import bittensor  # noqa: E402
from bittensor.core.chain_data import AxonInfo  # noqa: E402
from bittensor_wallet import Keypair  # noqa: E402

from synapses import Dummy, Summation  # noqa: E402


def exit_when_stdin_closes():
    sys.stdin.read()
    os._exit(0)


def target(args):
    return AxonInfo(
        version=0, ip=args.ip, port=args.port, ip_type=4, hotkey=args.hotkey, coldkey=args.hotkey
    )


async def query(args, dendrite):
    axon = target(args)
    dummy = await dendrite.call(axon, Dummy(dummy_input=21), timeout=10, deserialize=False)
    print(json.dumps({
        "synapse": "Dummy",
        "status": dummy.dendrite.status_code,
        "message": dummy.dendrite.status_message,
        "dummy_output": dummy.dummy_output,
    }), flush=True)
    summation = await dendrite.call(
        axon,
        Summation(values=[1, 2, 3, 40], label="it's \"quoted\" \u00e9", scale=0.5),
        timeout=10,
        deserialize=False,
    )
    print(json.dumps({
        "synapse": "Summation",
        "status": summation.dendrite.status_code,
        "message": summation.dendrite.status_message,
        "total": summation.total,
        "echo": summation.echo,
        "axon_hotkey": summation.axon.hotkey,
    }), flush=True)


async def send(session, url, synapse, body=None):
    headers = synapse.to_headers()
    async with session.post(url, headers=headers, json=body or synapse.model_dump()) as response:
        await response.read()
        return response.status


def signed(dendrite, axon, synapse, keypair=None, nonce=None):
    """The SDK's own preprocessing, optionally with another nonce or signing key."""
    synapse = dendrite.preprocess_synapse_for_request(axon, synapse, timeout=10)
    if nonce is not None or keypair is not None:
        synapse.dendrite.nonce = nonce if nonce is not None else synapse.dendrite.nonce
        signer = keypair or dendrite.keypair
        message = (
            f"{synapse.dendrite.nonce}.{synapse.dendrite.hotkey}.{synapse.axon.hotkey}."
            f"{synapse.dendrite.uuid}.{synapse.body_hash}"
        )
        synapse.dendrite.signature = f"0x{signer.sign(message).hex()}"
    return synapse


async def attacks(args, dendrite):
    axon = target(args)
    base = f"http://{args.ip}:{args.port}"
    statuses = {}
    async with aiohttp.ClientSession() as session:
        good = signed(dendrite, axon, Dummy(dummy_input=1))
        statuses["first"] = await send(session, f"{base}/Dummy", good)
        statuses["replayed"] = await send(session, f"{base}/Dummy", good)

        stale = signed(dendrite, axon, Dummy(dummy_input=2), nonce=time.time_ns() - 120 * 10**9)
        statuses["stale"] = await send(session, f"{base}/Dummy", stale)

        tampered = signed(dendrite, axon, Summation(values=[1, 2], label="a", scale=1.0))
        body = tampered.model_dump()
        body["values"] = [1000, 2000]
        statuses["tampered"] = await send(session, f"{base}/Summation", tampered, body)

        other = Keypair.create_from_seed(os.urandom(32).hex())
        forged = signed(dendrite, axon, Dummy(dummy_input=3), keypair=other)
        statuses["wrong_key"] = await send(session, f"{base}/Dummy", forged)

        statuses["unknown_synapse"] = await send(
            session, f"{base}/Nope", signed(dendrite, axon, Dummy(dummy_input=4))
        )
        statuses["after"] = await send(
            session, f"{base}/Dummy", signed(dendrite, axon, Dummy(dummy_input=5))
        )
    print(json.dumps(statuses), flush=True)


async def concurrent(args, dendrite):
    axon = target(args)
    answers = await asyncio.gather(
        *(
            dendrite.call(axon, Dummy(dummy_input=i), timeout=20, deserialize=False)
            for i in range(64)
        )
    )
    statuses = {}
    right = 0
    for i, answer in enumerate(answers):
        status = str(answer.dendrite.status_code)
        statuses[status] = statuses.get(status, 0) + 1
        right += answer.dummy_output == 2 * i
    print(json.dumps({"statuses": statuses, "right": right}), flush=True)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["query", "attacks", "concurrent"])
    parser.add_argument("--ip", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--hotkey", required=True)
    args = parser.parse_args()
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    keypair = Keypair.create_from_seed(os.environ["AXONITE_TEST_DENDRITE_SEED"])
    dendrite = bittensor.Dendrite(wallet=keypair)
    try:
        modes = {"query": query, "attacks": attacks, "concurrent": concurrent}
        await modes[args.mode](args, dendrite)
    finally:
        await dendrite.aclose_session()


if __name__ == "__main__":
    asyncio.run(main())
