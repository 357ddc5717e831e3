"""How long the test commands take, as a user runs them: the issue's table (make test-unit, make
test-integration on the default stack, make test in a warm clone with its phases, and on a fresh clone)."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3

from bench.stack import REPO_ROOT, BenchCloud
from tests.live.pipeline import redrive_seconds
from tools.test_run import PHASES_FILE


def integration_on_default_stack(cloud: BenchCloud) -> dict[str, float]:
    """make test-integration on the deployed default stack: the quick variant, then the whole suite, beside the
    stack's redrive window (its receives x its visibility timeout), which the whole suite must wait once."""
    stack = cloud.stack()
    window = redrive_seconds(boto3.client("sqs", region_name=stack.region), stack.input_queue_url)
    quick, _ = cloud.make("test-integration-quick", progress="make test-integration-quick")
    whole, _ = cloud.make("test-integration", progress="make test-integration")
    return {"quick_s": round(quick, 1), "whole_s": round(whole, 1), "redrive_window_s": window}


def unit() -> float:
    seconds, _ = BenchCloud().make("test-unit", progress="make test-unit")
    return round(seconds, 1)


def make_test(port: int) -> dict[str, Any]:
    """make test twice in this clone (its virtualenvs already built): the first run may start from nothing, the
    second starts from the clouds the first kept, as a developer's next run does. Both with their phases."""
    runs = {}
    for run in ("first", "second"):
        seconds, _ = BenchCloud(port=port).make("test", f"TEST_PORT={port}", progress=f"make test ({run} run)")
        figures = json.loads(PHASES_FILE.read_text())
        runs[run] = {"wall_s": round(seconds, 1), **{k: figures[k] for k in ("phases", "lanes", "kept_clouds_reused")}}
    return runs


def fresh_clone(port: int) -> float:
    """make test on a fresh clone of the committed tree, virtualenvs and the local cloud's included, as CI runs it
    (CI=true: the stacks are destroyed at the end, nothing is kept)."""
    with tempfile.TemporaryDirectory(prefix="bench-clone-") as directory:
        clone = Path(directory) / "inbox-pipeline"
        subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(clone)], check=True)
        started = time.perf_counter()
        done = subprocess.run(
            ["make", "test", f"TEST_PORT={port}"],
            cwd=clone,
            capture_output=True,
            text=True,
            env=os.environ | {"CI": "true"},
        )
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"make test failed on a fresh clone:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    return round(seconds, 1)
