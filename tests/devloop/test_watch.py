"""make watch: a save is live at the next invocation, with no deploy; leaving it returns the deployed zips."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.devloop.conftest import invoke
from tests.live.controls import await_log, now_ms
from tests.live.inner_loop import InnerLoop
from tests.live.pipeline import poll
from tests.live.stack import Stack

pytestmark = [pytest.mark.devloop, pytest.mark.localonly]

# Generous under load; the benchmark measures the real figure (bench/results.json, hot_reload).
RELOAD_SECONDS = 30
EMPTY_BATCH = {"Records": []}

# A handler whose answer tells which save runs and which execution environment answers.
HANDLER = """
import os

ENVIRONMENT = os.urandom(8).hex()  # module-level: made once per execution environment


def handler(event, context):
    return {{"save": "{save}", "environment": ENVIRONMENT}}
"""


def report_lines(lines: list[dict[str, Any]]) -> list[str]:
    return [line["raw"] for line in lines if line["raw"].startswith("REPORT ")]


def save(path: Path, text: str) -> None:
    path.write_text(text)


def answer_becomes(lambda_client: Any, name: str, wanted: Callable[[str | None, str], bool]) -> tuple[str | None, str]:
    last: list[tuple[str | None, str]] = []

    def check() -> bool:
        last[:] = [invoke(lambda_client, name)]
        return wanted(*last[0])

    assert poll(check, RELOAD_SECONDS), f"{name} still answers {last} {RELOAD_SECONDS} s after the save"
    return last[0]


def saved_as(save_id: str) -> Callable[[str | None, str], bool]:
    return lambda error, payload: error is None and json.loads(payload).get("save") == save_id


def test_a_save_runs_at_the_next_invocation_in_a_new_environment(
    stack: Stack, lambda_client: Any, logs: Any, sources: Path, inner_loop: Callable[..., InnerLoop]
) -> None:
    name = stack.outbox_function_name
    app = sources / "check_output_queue" / "app.py"
    loop = inner_loop()
    assert invoke(lambda_client, stack.process_function_name, EMPTY_BATCH)[0] is None  # warm, on its sources
    # GIVEN a watched function, WHEN its handler is saved
    first = uuid.uuid4().hex
    save(app, HANDLER.format(save=first))
    # THEN the next invocations run it, in one warm environment once watch has seen the save
    # (an environment that starts before that already reads the new file, and is replaced)
    answer_becomes(lambda_client, name, saved_as(first))
    loop.wait_for_line("watch: check_output_queue: app.py saved")
    environment = json.loads(invoke(lambda_client, name)[1])["environment"]
    assert json.loads(invoke(lambda_client, name)[1])["environment"] == environment
    # WHEN it is saved again THEN module-level code ran again: a new execution environment
    second = uuid.uuid4().hex
    save(app, HANDLER.format(save=second))
    _, payload = answer_becomes(lambda_client, name, saved_as(second))
    assert json.loads(payload)["environment"] != environment
    # AND the function nobody edited stayed warm: its next REPORT has no Init Duration
    since = now_ms()
    assert invoke(lambda_client, stack.process_function_name, EMPTY_BATCH)[0] is None
    reports = await_log(logs, stack.process_function_name, since, report_lines, RELOAD_SECONDS)
    assert reports, "no REPORT line from the processor"
    assert "Init Duration" not in reports[0], reports[0]


def test_syntax_errors_and_new_and_deleted_files(
    stack: Stack, lambda_client: Any, logs: Any, sources: Path, inner_loop: Callable[..., InnerLoop]
) -> None:
    name = stack.outbox_function_name
    folder = sources / "check_output_queue"
    inner_loop()
    # A syntax error is the runtime's own error, in the result and the function's log
    since = now_ms()
    save(folder / "app.py", "def handler(event, context:\n")
    answer_becomes(lambda_client, name, lambda error, payload: "Runtime.UserCodeSyntaxError" in payload)
    syntax_error = lambda lines: any("Runtime.UserCodeSyntaxError" in line["raw"] for line in lines)  # noqa: E731
    assert await_log(logs, name, since, syntax_error, RELOAD_SECONDS), "no Runtime.UserCodeSyntaxError in the log"
    # A new file is importable at once; the next good save recovers
    marker = uuid.uuid4().hex
    save(folder / "helper.py", f"SAVE = {marker!r}\n")
    save(folder / "app.py", "import helper\n\n\ndef handler(event, context):\n    return {'save': helper.SAVE}\n")
    answer_becomes(lambda_client, name, saved_as(marker))
    # A deleted file is gone
    (folder / "helper.py").unlink()
    answer_becomes(lambda_client, name, lambda error, payload: "Runtime.ImportModuleError" in payload)


def test_leaving_watch_returns_the_deployed_zip(
    stack: Stack, lambda_client: Any, sources: Path, inner_loop: Callable[..., InnerLoop]
) -> None:
    name = stack.outbox_function_name
    loop = inner_loop()
    edited = uuid.uuid4().hex
    save(sources / "check_output_queue" / "app.py", HANDLER.format(save=edited))
    answer_becomes(lambda_client, name, saved_as(edited))
    assert loop.stop() == 0
    assert loop.lines[-1].startswith("watch: stopped; every function runs its deployed zip again")
    # The deployed handler answers again: an API Gateway proxy response, not the edit
    error, payload = invoke(lambda_client, name)
    assert error is None
    assert "statusCode" in json.loads(payload)
