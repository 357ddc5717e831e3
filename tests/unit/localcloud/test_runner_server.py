"""The runner's HTTP side: how a timed-out invocation, or one whose init timed out, is answered."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from localcloud.interpreter import find_python
from localcloud.runner import server
from localcloud.runner.catalog import FunctionVersion
from localcloud.runner.workers import Outcome, Pool
from tests.unit.localcloud.versions import probe_version, runtime_sdk

VERSION = probe_version(Path("/nonexistent"), handler="app.handler")


class TimingOutWorker:
    log_stream = "stream"
    init_timed_out = False
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
    def __init__(self, version: FunctionVersion = VERSION) -> None:
        self.version = version

    def function(self, name: str) -> FunctionVersion:
        return self.version

    def role_credentials(self, version: FunctionVersion) -> dict:
        return {"AccessKeyId": "AKIA", "SecretAccessKey": "s", "SessionToken": "token"}


def test_a_timeout_is_answered_only_after_the_proxys_own_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN an invocation that times out, whose deadline MiniStack shares
    slept: list[float] = []
    monkeypatch.setattr(server.time, "sleep", slept.append)
    invoker = server.Invoker(FixedCatalog(), OneWorkerPool(), lambda *line: None)  # type: ignore[arg-type]
    deadline_ms = int(time.time() * 1000) + 50

    # WHEN the runner answers it
    status, payload = invoker.invoke("probe", b"{}", "req-1", deadline_ms, None)

    # THEN it first waits past the deadline, so MiniStack's own Sandbox.Timedout is what the caller sees
    assert slept
    assert slept[0] > server.TIMEOUT_ANSWER_GRACE_SECONDS - 0.5
    assert status == 504
    assert json.loads(payload)["errorType"] == "Sandbox.Timedout"


def test_an_init_past_its_timeout_answers_as_a_timeout_and_frees_its_slot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a function allowed one worker at a time, whose module never finishes importing
    (tmp_path / "hangs.py").write_text("import time\ntime.sleep(60)\n\n\ndef handler(event, context):\n    return 1\n")
    lines: list[str] = []
    sink = lambda function, stream, line: lines.append(line)  # noqa: E731
    pool = Pool(find_python("3.12"), "python3.12", runtime_sdk(), "us-east-1", "http://localhost:1", sink, 1, 0.3)
    catalog = FixedCatalog(probe_version(tmp_path, handler="hangs.handler", reserved=1))
    invoker = server.Invoker(catalog, pool, sink)  # type: ignore[arg-type]
    monkeypatch.setattr(server, "TIMEOUT_ANSWER_GRACE_SECONDS", 0)

    # WHEN it is invoked twice, each with no time to wait for a slot
    answers = [invoker.invoke("probe", b"{}", f"req-{n}", int(time.time() * 1000), None) for n in (1, 2)]

    # THEN both end as Lambda's timeout after the init timeout, logged as Lambda logs one: the first freed its slot
    errors = [(status, json.loads(payload)["errorType"]) for status, payload in answers]
    assert errors == [(504, "Sandbox.Timedout")] * 2
    assert [line for line in lines if line.startswith("INIT_REPORT")] == [
        "INIT_REPORT Init Duration: 300.00 ms\tPhase: init\tStatus: timeout"
    ] * 2
    assert sum("Task timed out after 3.00 seconds" in line for line in lines) == 2
