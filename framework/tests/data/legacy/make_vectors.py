"""Writes the legacy (bittensor 10.x HTTP) protocol test vectors beside this script with the
real bittensor SDK.

Pinned: bittensor==10.5.0 (PyPI), run with the Python it installs into (3.11 here). To
regenerate, from the repository root:

    python3 -m venv .venv && .venv/bin/pip install bittensor==10.5.0
    .venv/bin/python framework/tests/data/legacy/make_vectors.py

Nothing here touches the network: the Dendrite's external-IP lookup is patched out. Nonces,
uuids and sr25519 signatures are random, so the bytes of vectors.json change on every run;
what the Rust tests check (every signature verifies, every hash matches) does not.
"""

import asyncio
import json
import os
import struct
import time
from typing import ClassVar

import bittensor
from bittensor.core import settings
from bittensor.core.axon import AxonMiddleware, create_error_response
from bittensor.core.chain_data import AxonInfo
from bittensor.core.synapse import Synapse, TerminalInfo
from bittensor.utils import get_hash, networking
from bittensor_wallet import Keypair

HERE = os.path.dirname(os.path.abspath(__file__))

# No internet: the Dendrite asks outside services for the machine's IP on construction.
networking.get_external_ip = lambda: "127.0.0.3"

# Values a synapse field may hold after JSON decoding, written as JSON text; the Rust side
# parses the same text and must render Python's str() of it.
STR_CASES = [
    '"plain text"',
    '""',
    '"it\'s"',
    '"say \\"hi\\""',
    '"both \' and \\""',
    '"back\\\\slash"',
    '"tab\\tnew\\nline\\rcr"',
    '"ctl \\u0001 \\u001f \\u007f \\u0080 \\u009f"',
    '"caf\\u00e9 \\u00a0nbsp \\u00ad shy"',
    '"\\u2028 \\u2029 \\u200b \\u3000 \\ue000 \\ufeff"',
    '"emoji \\ud83d\\ude00 han \\u4e2d"',
    "0",
    "-17",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "0.1",
    "1.0",
    "-0.0",
    "1e-05",
    "0.0001",
    "1e+16",
    "1000000000000000.0",
    "123456789.123",
    "1.5e-07",
    "2.5e-310",
    "1.7976931348623157e+308",
    "true",
    "false",
    "null",
    "[]",
    "{}",
    '[1, 2.5, "x", null, true, [false]]',
    '["it\'s", "a\\"b", "\\u00e9", "\\n"]',
    '{"b": 1, "a": [1, 2], "c": {"z": null, "y": "q\'"}}',
    '{"key with \'": "v", "k2": "\\"q\\""}',
    '{"dup": 1, "other": 2, "dup": 3}',
]

# Floats whose repr the Rust side must reproduce, including those JSON cannot carry.
FLOATS = [
    0.0, -0.0, 1.0, 0.1, 1e-05, 1e-4, 1e16, 1e15, 1e22, 123.456, 1 / 3, 2.5e-310, 5e-324,
    1.7976931348623157e308, float("inf"), float("-inf"), float("nan"), 100.0, 1e100,
    1.5e-07, 12345678901234567.0, 0.30000000000000004,
]


class Plain(Synapse):
    """No required_hash_fields: the body hash is sha3_256("")."""

    text: str = ""
    count: int = 0


class Hashed(Synapse):
    """Two hashed fields of different shapes."""

    prompt: str = ""
    weights: list = []
    meta: dict = {}
    temperature: float = 1.0
    required_hash_fields: ClassVar[tuple[str, ...]] = ("prompt", "weights", "meta", "temperature")


def synapse_cases():
    return [
        ("Plain", Plain(text="hello", count=3)),
        ("Hashed", Hashed(prompt="it's \"quoted\"", weights=[0.5, 1e-05, 3], meta={"b": [1, None], "a": True}, temperature=0.7)),
        ("Hashed", Hashed(prompt="", weights=[], meta={}, temperature=2.0)),
    ]


def request_vectors(alice, bob):
    dendrite = bittensor.Dendrite(wallet=alice)
    axon = AxonInfo(version=settings.version_as_int, ip="127.0.0.2", port=8091, ip_type=4,
                    hotkey=bob.ss58_address, coldkey=bob.ss58_address)
    out = []
    for name, synapse in synapse_cases():
        synapse = dendrite.preprocess_synapse_for_request(axon, synapse, timeout=12.0)
        headers = synapse.to_headers()
        body = json.dumps(synapse.model_dump())  # what aiohttp's json= sends
        d = synapse.dendrite
        out.append({
            "synapse": name,
            "required_hash_fields": list(type(synapse).required_hash_fields),
            "headers": [[k, v] for k, v in headers.items()],
            "body": body,
            "body_hash": synapse.body_hash,
            "message": f"{d.nonce}.{d.hotkey}.{synapse.axon.hotkey}.{d.uuid}.{synapse.body_hash}",
            "nonce": d.nonce,
            "uuid": d.uuid,
            "dendrite_hotkey": d.hotkey,
            "axon_hotkey": bob.ss58_address,
            "dendrite_version": d.version,
            "timeout": synapse.timeout,
        })
    return out


def response_vectors(bob):
    """What the real axon sends back: a success and an error."""
    ok = Hashed(prompt="p", weights=[1], meta={}, temperature=0.5)
    ok.axon = TerminalInfo(hotkey=bob.ss58_address, version=settings.version_as_int,
                           uuid="axon-uuid", nonce=time.time_ns(), status_code=100)
    ok.axon.status_code = None  # the forward left it unset; synapse_to_response fills 200
    ok.dendrite = TerminalInfo(hotkey="5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY",
                               ip="127.0.0.3", port=40000, version=settings.version_as_int)
    ok_resp = asyncio.run(AxonMiddleware.synapse_to_response(synapse=ok, start_time=time.time()))

    err = Plain(text="x")
    err.axon = TerminalInfo(status_code=401, status_message="Not Verified with error: bad",
                            hotkey=bob.ss58_address)
    err_resp = create_error_response(err)

    def dump(resp):
        return {
            "status": resp.status_code,
            "headers": [[k.decode(), v.decode()] for k, v in resp.raw_headers],
            "body": resp.body.decode(),
        }

    return [dump(ok_resp), dump(err_resp)]


def main():
    alice = Keypair.create_from_uri("//Alice")
    bob = Keypair.create_from_uri("//Bob")
    str_cases = []
    for text in STR_CASES:
        s = str(json.loads(text))
        str_cases.append({"json": text, "str": s, "sha3": get_hash(s)})
    vectors = {
        "sdk": f"bittensor {bittensor.__version__}",
        "version_as_int": settings.version_as_int,
        "empty_body_hash": get_hash(""),
        "python_str": str_cases,
        "float_repr": [{"bits": struct.pack(">d", f).hex(), "repr": repr(f)} for f in FLOATS],
        "requests": request_vectors(alice, bob),
        "responses": response_vectors(bob),
    }
    with open(os.path.join(HERE, "vectors.json"), "w") as f:
        json.dump(vectors, f, indent=1, ensure_ascii=True)
        f.write("\n")


if __name__ == "__main__":
    main()
