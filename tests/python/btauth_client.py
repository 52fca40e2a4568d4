"""A btauth/1 request signed with bittensor 11.3.0's `bittensor.http_auth`, sent twice (the
second is a replay), for tests/tests/interop_python_dendrite.rs.

    btauth_client.py --ip IP --port PORT --hotkey SS58

The client's key comes from the seed (hex) in AXONITE_TEST_DENDRITE_SEED. Prints one JSON
line: both statuses and the first answer's body.
"""

import argparse
import json
import os
import sys
import threading
import urllib.error
import urllib.request

from bittensor import http_auth
from bittensor.sp_core import Keypair


def exit_when_stdin_closes():
    sys.stdin.read()
    os._exit(0)


def post(url, headers, body):
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ip", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--hotkey", required=True, help="the server's SS58 hotkey")
    args = parser.parse_args()
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    seed = os.environ["AXONITE_TEST_DENDRITE_SEED"].removeprefix("0x")
    keypair = Keypair.create_from_seed(bytes.fromhex(seed))
    path = "/Dummy"
    body = json.dumps({"dummy_input": 20}).encode()
    auth = http_auth.sign(keypair, method="POST", path=path, body=body, receiver_ss58=args.hotkey)
    headers = {"Content-Type": "application/json", **auth}
    url = f"http://{args.ip}:{args.port}{path}"
    first, answer = post(url, headers, body)
    replayed, _ = post(url, headers, body)
    print(json.dumps({"first": first, "answer": answer, "replayed": replayed}), flush=True)


if __name__ == "__main__":
    main()
