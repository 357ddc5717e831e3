"""Warm invoke time of an empty handler that prints nothing, and of one that prints one line.

Runs against the contract probe (make test-contract deploys it): `noop` does
nothing but return, and prints its `log` field first when given. On the local
cloud, run it once as is (functions in our runner) and once on a cloud started
with LOCALCLOUD_RUNNER=false (MiniStack's own workers). Sequential invokes, a
few warm-up calls first; prints the median and the 90th percentile.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from typing import Any

import boto3

from tests.contract.probe import read_probe_stack

CASES = {
    "prints nothing": {"probe": "noop"},
    "prints one line": {"probe": "noop", "log": "one line of output"},
}


def invoke_ms(lambda_client: Any, function_name: str, event: dict[str, Any]) -> float:
    payload = json.dumps(event)
    started = time.perf_counter()
    response = lambda_client.invoke(FunctionName=function_name, Payload=payload)
    response["Payload"].read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.get("FunctionError"):
        raise SystemExit(f"error: the probe failed: {response['FunctionError']}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="invokes per case")
    parser.add_argument("--warmup", type=int, default=10, help="invokes per case before measuring")
    args = parser.parse_args(argv)
    probe = read_probe_stack()
    if probe is None:
        print("error: the contract probe is not deployed: make test-contract deploys it", file=sys.stderr)
        return 1
    lambda_client = boto3.client("lambda", region_name=probe.region)
    for label, event in CASES.items():
        for _ in range(args.warmup):
            invoke_ms(lambda_client, probe.probe_function_name, event)
        times = sorted(invoke_ms(lambda_client, probe.probe_function_name, event) for _ in range(args.count))
        p90 = times[int(len(times) * 0.9) - 1]
        print(f"{label:16} median {statistics.median(times):6.1f} ms  p90 {p90:6.1f} ms  ({args.count} invokes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
