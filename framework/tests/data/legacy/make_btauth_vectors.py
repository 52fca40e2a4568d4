"""Writes the btauth/1 test vectors beside this script with bittensor 11's real http_auth.

Pinned: bittensor==11.3.0 (PyPI). To regenerate, from the repository root:

    python3 -m venv .venv11 && .venv11/bin/pip install bittensor==11.3.0
    .venv11/bin/python framework/tests/data/legacy/make_btauth_vectors.py

sr25519 signatures are random, so the signatures change on every run; the payloads (the
signed bytes) and what the Rust tests check do not. Each request is also verified here with
the SDK's own verify(), so a vector that the SDK itself would refuse cannot be written.
"""

import json
import os

from bittensor import http_auth
from bittensor.sp_core import Keypair

HERE = os.path.dirname(os.path.abspath(__file__))
NONCE = 1_700_000_000_123_456_789

CASES = [
    # method as the caller writes it, request target, body, bound to the receiver?
    ("POST", "/generate", b'{"prompt": "hello"}', True),
    ("post", "/v1/score?model=a&x=%20y", "caf\u00e9 \u4e2d".encode(), True),
    ("GET", "/health", b"", False),
    ("PUT", "/", bytes(range(256)), True),
]


def main():
    alice = Keypair.create_from_uri("//Alice")
    bob = Keypair.create_from_uri("//Bob")
    out = []
    for i, (method, path, body, bound) in enumerate(CASES):
        nonce = NONCE + i
        receiver = bob.ss58_address if bound else None
        headers = http_auth.sign(alice, method=method, path=path, body=body,
                                 receiver_ss58=receiver, nonce_ns=nonce)
        payload = http_auth.build_payload(scheme="sr25519", method=method, path=path, body=body,
                                          nonce_ns=nonce, sender_ss58=alice.ss58_address,
                                          receiver_ss58=receiver)
        caller = http_auth.verify(headers, body, method=method, path=path,
                                  self_hotkey_ss58=bob.ss58_address, require_receiver=bound,
                                  nonce_store=http_auth.InMemoryNonceStore(), now_ns=nonce)
        assert caller.hotkey_ss58 == alice.ss58_address
        out.append({
            "method": method,
            "path": path,
            "body_hex": body.hex(),
            "nonce": nonce,
            "headers": [[k, v] for k, v in headers.items()],
            "payload": payload.decode(),
            "receiver": receiver,
        })
    vectors = {
        "sdk": "bittensor 11.3.0 http_auth",
        "default_max_age": http_auth.DEFAULT_MAX_AGE,
        "default_allowed_skew": http_auth.DEFAULT_ALLOWED_SKEW,
        "sender": alice.ss58_address,
        "receiver": bob.ss58_address,
        "requests": out,
    }
    with open(os.path.join(HERE, "btauth_vectors.json"), "w") as f:
        json.dump(vectors, f, indent=1, ensure_ascii=True)
        f.write("\n")


if __name__ == "__main__":
    main()
