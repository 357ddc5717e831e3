"""Invoke overhead of an empty function in the local cloud: warm, and a cold start.

Two handlers: one logs a line, one logs nothing (MiniStack's own workers wait a
fixed time for output from a silent handler). Measured through our runner and
through MiniStack's own workers, each on a cloud of its own.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from typing import Any

import boto3
from tqdm import tqdm

from bench.stats import summary

HANDLERS = {
    "logs": "def handler(event, context):\n    print('invoked')\n    return {'ok': True}\n",
    "silent": "def handler(event, context):\n    return {'ok': True}\n",
}
ASSUME_LAMBDA = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def function_names(prefix: str) -> list[str]:
    return [f"{prefix}-bench-{kind}" for kind in HANDLERS]


def zipped(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


def create_functions(prefix: str) -> dict[str, str]:
    iam = boto3.client("iam")
    lam = boto3.client("lambda")
    role = iam.create_role(RoleName=f"{prefix}-bench-role", AssumeRolePolicyDocument=ASSUME_LAMBDA)["Role"]["Arn"]
    names = {}
    for kind, source in HANDLERS.items():
        name = f"{prefix}-bench-{kind}"
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": zipped(source)},
            Timeout=10,
            MemorySize=128,
        )
        lam.get_waiter("function_active_v2").wait(FunctionName=name)
        names[kind] = name
    return names


def timed_invoke(lam: Any, name: str) -> float:
    started = time.perf_counter()
    response = lam.invoke(FunctionName=name, Payload=b"{}")
    elapsed = (time.perf_counter() - started) * 1000
    if response.get("FunctionError"):
        raise RuntimeError(f"{name} failed: {response['Payload'].read()[:300]!r}")
    return elapsed


def measure(prefix: str, label: str, warm_invokes: int = 200, cold_starts: int = 5) -> dict[str, Any]:
    lam = boto3.client("lambda")
    names = create_functions(prefix)
    results: dict[str, Any] = {}
    for kind, name in names.items():
        for _ in range(10):
            timed_invoke(lam, name)
        warm = [timed_invoke(lam, name) for _ in tqdm(range(warm_invokes), desc=f"{label} {kind} warm", unit="inv")]
        cold = []
        for n in range(cold_starts):
            # A configuration change retires the warm environments, as on AWS.
            lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"GENERATION": str(n)}})
            lam.get_waiter("function_updated_v2").wait(FunctionName=name)
            time.sleep(1.1)  # the runner re-reads a function's configuration at most once a second
            cold.append(timed_invoke(lam, name))
        results[kind] = {"warm_ms": summary(warm, 2), "cold_ms": summary(cold, 1)}
    return results
