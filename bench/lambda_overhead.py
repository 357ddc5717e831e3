"""Invoke overhead of an empty function in the local cloud: warm, and a cold start.

Two handlers: one logs a line, one logs nothing (MiniStack's own workers wait a
fixed time for output from a silent handler). Measured through our runner and
through MiniStack's own workers, each on a cloud of its own.

A cold start is the first invoke after a configuration change that a new
execution environment answers: each handler returns a token made when its
module was loaded, and the benchmark invokes until the token changes, so the
figure does not depend on how soon the runner or MiniStack notices the change.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path
from typing import Any

import boto3
from tqdm import tqdm

from bench.stats import summary

# A token per execution environment, made when the module is loaded (at its cold
# start); os is loaded by every interpreter already, so this costs no import.
HANDLER_PRELUDE = "import os\n\nENVIRONMENT = os.urandom(8).hex()\n\n\n"
HANDLER_RETURN = "    return {'environment': ENVIRONMENT}\n"
HANDLERS = {
    "logs": HANDLER_PRELUDE + "def handler(event, context):\n    print('invoked')\n" + HANDLER_RETURN,
    "silent": HANDLER_PRELUDE + "def handler(event, context):\n" + HANDLER_RETURN,
}
# How long a configuration change may take to reach a new execution environment
# (the runner re-reads a function's configuration about once a second).
COLD_START_DEADLINE_SECONDS = 30
POLL_GAP_SECONDS = 0.02
# The trust policy every function of ours has, written once for Terraform and the benchmark.
ASSUME_LAMBDA = (Path(__file__).resolve().parent.parent / "modules/function/lambda_trust_policy.json").read_text()


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


def timed_invoke(lam: Any, name: str) -> tuple[float, str]:
    """Milliseconds of one invoke, and the token of the execution environment that answered."""
    started = time.perf_counter()
    response = lam.invoke(FunctionName=name, Payload=b"{}")
    elapsed = (time.perf_counter() - started) * 1000
    payload = response["Payload"].read()
    if response.get("FunctionError"):
        raise RuntimeError(f"{name} failed: {payload[:300]!r}")
    return elapsed, json.loads(payload)["environment"]


def cold_start(lam: Any, name: str, generation: int, environment: str) -> tuple[float, str]:
    """Change the configuration, then invoke until a new execution environment answers: that invoke's time."""
    # A configuration change retires the warm environments, as on AWS.
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"GENERATION": str(generation)}})
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    deadline = time.monotonic() + COLD_START_DEADLINE_SECONDS
    while True:
        elapsed, answered_by = timed_invoke(lam, name)
        if answered_by != environment:
            return elapsed, answered_by
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{name}: still answered by the same execution environment {COLD_START_DEADLINE_SECONDS} s "
                "after a configuration change"
            )
        time.sleep(POLL_GAP_SECONDS)


def measure(prefix: str, label: str, warm_invokes: int = 200, cold_starts: int = 5) -> dict[str, Any]:
    lam = boto3.client("lambda")
    names = create_functions(prefix)
    results: dict[str, Any] = {}
    for kind, name in names.items():
        for _ in range(10):
            _, environment = timed_invoke(lam, name)
        warm = []
        for _ in tqdm(range(warm_invokes), desc=f"{label} {kind} warm", unit="inv"):
            elapsed, environment = timed_invoke(lam, name)
            warm.append(elapsed)
        cold = []
        for n in tqdm(range(cold_starts), desc=f"{label} {kind} cold", unit="start"):
            elapsed, environment = cold_start(lam, name, n, environment)
            cold.append(elapsed)
        results[kind] = {"warm_ms": summary(warm, 2), "cold_ms": summary(cold, 1)}
    return results
