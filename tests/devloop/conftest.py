"""Fixtures of the inner-loop suite (make test-devloop): make watch and make debug on the deployed local stack.

It runs alone, after the other live suites: while it runs, the stack's
functions run from a copy of functions/ (never the checkout's own files) and,
in a debug session, with their timeouts lifted; all of it is put back.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT
from tests.live.inner_loop import InnerLoop
from tests.live.stack import Stack


@pytest.fixture(autouse=True)
def _local_only(stack: Stack) -> None:
    if not stack.is_local:
        pytest.skip("make watch and make debug run functions on the local cloud only")


@pytest.fixture
def name_prefix(stack: Stack) -> str:
    return stack.outbox_function_name.removesuffix("-check-output-queue")


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    """A copy of functions/ to edit; the checkout's files are never touched."""
    copy = tmp_path / "functions"
    shutil.copytree(REPO_ROOT / "functions", copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


@pytest.fixture
def inner_loop(sources: Path, name_prefix: str) -> Iterator[Callable[..., InnerLoop]]:
    """Start watch (or debug, with its arguments) on the copy; stopped with Ctrl-C at teardown, which must succeed."""
    started: list[InnerLoop] = []

    def start(*args: str) -> InnerLoop:
        loop = InnerLoop(["--functions", str(sources), "--name-prefix", name_prefix, *args])
        started.append(loop)
        loop.wait_for_line("watch: serving" if not args else "debug:")
        return loop

    yield start
    for loop in started:
        assert loop.stop() == 0, loop.lines


def invoke(lambda_client: Any, name: str, event: dict[str, Any] | None = None) -> tuple[str | None, str]:
    """(FunctionError, payload text) of one synchronous invocation."""
    response = lambda_client.invoke(FunctionName=name, Payload=json.dumps(event or {}).encode())
    return response.get("FunctionError"), response["Payload"].read().decode()
