"""The runner's HTTP side: how a timed-out invocation is answered."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from localcloud.runner import server
from localcloud.runner.catalog import FunctionVersion
from localcloud.runner.workers import Outcome
from tests.unit.localcloud.versions import probe_version

VERSION = probe_version(Path("/nonexistent"), handler="app.handler")


class TimingOutWorker:
    log_stream = "stream"
    init_error = None
    init_ms = 1.0
    reported_init = True

    def invoke(self, request: dict[str, Any], deadline: float) -> Outcome:
        return Outcome(timed_out=True)

    def max_memory_mb(self) -> int:
        return 10


class OneWorkerPool:
    def acquire(self, version: FunctionVersion, credentials: dict, deadline: float) -> TimingOutWorker:
        return TimingOutWorker()

    def release(self, worker: TimingOutWorker) -> None:
        return None


class FixedCatalog:
    def function(self, name: str) -> FunctionVersion:
        return VERSION

    def role_credentials(self, version: FunctionVersion) -> dict:
        return {}


def test_a_timeout_is_answered_only_after_the_proxys_own_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN an invocation that times out, whose deadline MiniStack shares
    slept: list[float] = []
    monkeypatch.setattr(server.time, "sleep", slept.append)
    invoker = server.Invoker(FixedCatalog(), OneWorkerPool(), lambda *line: None)  # type: ignore[arg-type]
    deadline_ms = int(time.time() * 1000) + 50

    # WHEN the runner answers it
    status, payload = invoker.invoke("probe", {}, "req-1", deadline_ms, None)

    # THEN it first waits past the deadline, so MiniStack's own Sandbox.Timedout is what the caller sees
    assert slept
    assert slept[0] > server.TIMEOUT_ANSWER_GRACE_SECONDS - 0.5
    assert status == 504
    assert json.loads(payload)["errorType"] == "Sandbox.Timedout"
