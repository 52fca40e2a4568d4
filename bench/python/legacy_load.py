"""Legacy HTTP load from a real bittensor 10.5.0 dendrite, for `axonite-bench legacy`.

Keeps --concurrency `Dummy` queries in flight against one axon (an Axonite miner's legacy
HTTP endpoint or a Python axon) for --duration seconds after a warm-up, then prints one JSON
line: requests, status counts, requests per second, latency percentiles and this process's
CPU seconds. The dendrite's key comes from the seed (hex) in AXONITE_BENCH_DENDRITE_SEED.
Runs until done; exits early when stdin closes (the harness went away).
"""

import argparse
import asyncio
import json
import os
import resource
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "python"))

from bittensor.utils import networking  # noqa: E402

# No internet: the Dendrite asks outside services for the machine's IP on construction. An
# address that is not the target's keeps the URL on the target's own IP.
networking.get_external_ip = lambda: "192.0.2.1"

import bittensor  # noqa: E402
from bittensor.core.chain_data import AxonInfo  # noqa: E402
from bittensor_wallet import Keypair  # noqa: E402

from synapses import Dummy  # noqa: E402


def exit_when_stdin_closes():
    sys.stdin.read()
    os._exit(0)


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(sorted_values, fraction):
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, int(fraction * len(sorted_values)))
    return sorted_values[index]


async def run(args):
    keypair = Keypair.create_from_seed(os.environ["AXONITE_BENCH_DENDRITE_SEED"])
    dendrite = bittensor.Dendrite(wallet=keypair)
    axon = AxonInfo(
        version=0,
        ip=args.ip,
        port=args.port,
        ip_type=4,
        hotkey=args.hotkey,
        coldkey=args.hotkey,
    )

    async def one(value):
        started = time.perf_counter()
        answer = await dendrite.call(
            axon, Dummy(dummy_input=value), timeout=args.timeout, deserialize=False
        )
        elapsed = time.perf_counter() - started
        status = answer.dendrite.status_code
        right = status == 200 and answer.dummy_output == 2 * value
        return elapsed, status if status is not None else 0, right

    for value in range(args.warmup):
        await one(value)

    latencies = []
    statuses = {}
    wrong = 0
    cpu_before = cpu_seconds()
    started = time.perf_counter()
    end = started + args.duration

    async def worker(index):
        nonlocal wrong
        value = index * 1_000_000
        while time.perf_counter() < end:
            value += 1
            elapsed, status, right = await one(value)
            latencies.append(elapsed)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            if status == 200 and not right:
                wrong += 1

    await asyncio.gather(*(worker(i) for i in range(args.concurrency)))
    wall = time.perf_counter() - started
    cpu = cpu_seconds() - cpu_before
    await dendrite.aclose_session()
    latencies.sort()
    ok = statuses.get("200", 0)
    print(
        json.dumps(
            {
                "requests": len(latencies),
                "ok": ok,
                "wrong_answers": wrong,
                "statuses": statuses,
                "seconds": wall,
                "ok_per_second": ok / wall if wall > 0 else 0.0,
                "p50_ms": (percentile(latencies, 0.50) or 0.0) * 1e3,
                "p99_ms": (percentile(latencies, 0.99) or 0.0) * 1e3,
                "cpu_seconds": cpu,
            }
        ),
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ip", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--hotkey", required=True, help="the axon's SS58 hotkey")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=12.0)
    args = parser.parse_args()
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
