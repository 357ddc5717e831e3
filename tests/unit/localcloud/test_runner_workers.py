"""The runner's workers: AWS's runtime client in an isolated interpreter, behind our Runtime API."""

from __future__ import annotations

import dataclasses
import json
import re
import textwrap
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from localcloud.interpreter import find_python
from localcloud.runner.catalog import CREDENTIAL_MARGIN
from localcloud.runner.runtime_api import Invocation
from localcloud.runner.workers import (
    INIT_TIMEOUT_SECONDS,
    Outcome,
    Pool,
    Worker,
    credentials_expiry,
    runtime_environment,
)
from tests.unit.localcloud.versions import probe_version, runtime_sdk

CREDENTIALS = {"AccessKeyId": "AKIA", "SecretAccessKey": "s", "SessionToken": "token"}

HANDLERS = textwrap.dedent("""
    import logging, os, sys, time

    def context_and_env(event, context):
        print("hello from the handler")
        return {
            "request_id": context.aws_request_id,
            "function_name": context.function_name,
            "arn": context.invoked_function_arn,
            "memory": context.memory_limit_in_mb,
            "log_group": context.log_group_name,
            "log_stream": context.log_stream_name,
            "remaining": context.get_remaining_time_in_millis(),
            "env": {k: os.environ.get(k) for k in ("AWS_LAMBDA_FUNCTION_NAME", "AWS_EXECUTION_ENV", "AWS_REGION",
                    "LAMBDA_TASK_ROOT", "_HANDLER", "TZ", "MY_SETTING", "AWS_SESSION_TOKEN")},
            "runtime_api": os.environ.get("AWS_LAMBDA_RUNTIME_API"),
            "trace_id": os.environ.get("_X_AMZN_TRACE_ID"),
            "path0": sys.path[0],
            "version": "%d.%d" % sys.version_info[:2],
            "event": event,
        }

    class Boom(ValueError):
        pass

    def fails(event, context):
        raise Boom("it broke")

    def sleeps(event, context):
        time.sleep(30)

    def imports_site_packages(event, context):
        import pytest  # present in the developer's venv, never in a Lambda zip
        return "unreachable"

    def unserializable(event, context):
        return {1, 2}

    def logs(event, context):
        logging.getLogger().info("structured %s", "hello")
        print("plain line")

    def dies_mid_line(event, context):
        os.write(1, b"half a line and half a character \\xe2\\x82")
        os.kill(os.getpid(), 9)
""")


@pytest.fixture(scope="module")
def python() -> str:
    return find_python("3.12")


@pytest.fixture
def code_dir(tmp_path: Path) -> Path:
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text(HANDLERS)
    return code


def start(
    python: str,
    code_dir: Path,
    handler: str,
    sink: list | None = None,
    init_timeout: float = INIT_TIMEOUT_SECONDS,
    log_format: str = "Text",
) -> Worker:
    version = dataclasses.replace(
        probe_version(code_dir, handler, log_format=log_format), memory_mb=256, environment={"MY_SETTING": "on"}
    )
    env = runtime_environment(
        version,
        CREDENTIALS,
        "2026/01/01/[$LATEST]abc",
        "us-east-1",
        "http://localhost:4566",
        runtime_sdk(),
        "python3.12",
    )
    lines = sink if sink is not None else []
    return Worker(version, env, python, lambda function, stream, line: lines.append(line), init_timeout)


def invoke(worker: Worker, event: object = None, seconds: float = 3, trace_id: str | None = None) -> Outcome:
    deadline = time.time() + seconds
    invocation = Invocation("req-1", json.dumps(event).encode(), int(deadline * 1000), worker.version.arn, trace_id)
    return worker.invoke(invocation, deadline)


def test_context_and_environment_are_the_runtimes(python: str, code_dir: Path) -> None:
    lines: list[str] = []
    worker = start(python, code_dir, "app.context_and_env", lines)
    try:
        outcome = invoke(worker, {"k": "v"}, trace_id="Root=1-abc")
    finally:
        worker.kill()
    result = json.loads(outcome.payload or "null")
    assert result["request_id"] == "req-1"
    assert result["function_name"] == "probe"
    assert result["arn"].endswith(":function:probe")
    assert result["memory"] == "256"  # a string, as in AWS's runtime
    assert (result["log_group"], result["log_stream"]) == ("/aws/lambda/probe", "2026/01/01/[$LATEST]abc")
    assert 0 < result["remaining"] <= 3000
    assert result["env"] == {
        "AWS_LAMBDA_FUNCTION_NAME": "probe",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "AWS_REGION": "us-east-1",
        "LAMBDA_TASK_ROOT": str(code_dir),
        "_HANDLER": "app.context_and_env",
        "TZ": ":UTC",
        "MY_SETTING": "on",
        "AWS_SESSION_TOKEN": "token",
    }
    assert re.fullmatch(r"127\.0\.0\.1:\d+", result["runtime_api"])
    assert result["trace_id"] == "Root=1-abc"
    assert result["path0"] == str(code_dir)
    assert result["version"] == "3.12"
    assert result["event"] == {"k": "v"}
    assert "hello from the handler" in lines


def test_an_exception_comes_back_in_the_runtimes_shape(python: str, code_dir: Path) -> None:
    worker = start(python, code_dir, "app.fails")
    try:
        outcome = invoke(worker)
    finally:
        worker.kill()
    assert outcome.error is not None
    assert (outcome.error["errorType"], outcome.error["errorMessage"], outcome.error["requestId"]) == (
        "Boom",
        "it broke",
        "req-1",
    )
    assert len(outcome.error["stackTrace"]) == 1
    assert 'app.py", line' in outcome.error["stackTrace"][0]
    assert "in fails" in outcome.error["stackTrace"][0]


def test_site_packages_are_not_importable(python: str, code_dir: Path) -> None:
    worker = start(python, code_dir, "app.imports_site_packages")
    try:
        outcome = invoke(worker)
    finally:
        worker.kill()
    assert outcome.error is not None
    assert outcome.error["errorType"] == "ModuleNotFoundError"


def test_a_missing_module_is_an_import_module_error(python: str, code_dir: Path) -> None:
    worker = start(python, code_dir, "missing_module.handler")
    assert worker.init_error is not None
    assert worker.init_error["errorType"] == "Runtime.ImportModuleError"
    assert (
        worker.init_error["errorMessage"]
        == "Unable to import module 'missing_module': No module named 'missing_module'"
    )


def test_a_missing_handler_is_handler_not_found(python: str, code_dir: Path) -> None:
    worker = start(python, code_dir, "app.nope")
    assert worker.init_error == {
        "errorMessage": "Handler 'nope' missing on module 'app'",
        "errorType": "Runtime.HandlerNotFound",
        "requestId": "",
        "stackTrace": [],
    }


def test_an_unserializable_result_is_a_marshal_error(python: str, code_dir: Path) -> None:
    worker = start(python, code_dir, "app.unserializable")
    try:
        outcome = invoke(worker)
    finally:
        worker.kill()
    assert outcome.error is not None
    assert outcome.error["errorType"] == "Runtime.MarshalError"


def test_the_timeout_ends_the_invocation_and_the_worker(python: str, code_dir: Path) -> None:
    worker = start(python, code_dir, "app.sleeps")
    started = time.monotonic()
    outcome = invoke(worker, seconds=0.5)
    assert outcome.timed_out
    assert time.monotonic() - started < 2
    assert not worker.alive


def test_a_module_hanging_on_import_ends_the_worker_at_the_init_timeout(python: str, code_dir: Path) -> None:
    # GIVEN a handler module that never finishes importing
    (code_dir / "hangs.py").write_text("import time\ntime.sleep(60)\n\n\ndef handler(event, context):\n    return 1\n")
    started = time.monotonic()
    # WHEN a worker starts for it
    worker = start(python, code_dir, "hangs.handler", init_timeout=0.3)
    # THEN it gives up at the init timeout, marked as timed out in init, and the process is gone
    assert time.monotonic() - started < 5
    assert (worker.init_timed_out, worker.init_error, worker.alive) == (True, None, False)
    assert worker.init_ms == 300


def make_pool(python: str, max_workers: int) -> Pool:
    return Pool(
        python,
        "python3.12",
        runtime_sdk(),
        "us-east-1",
        "http://localhost:1",
        lambda function, stream, line: None,
        max_workers,
    )


def test_past_the_soft_cap_a_long_wait_starts_another_worker(python: str, code_dir: Path) -> None:
    # GIVEN a pool whose soft cap of one worker is busy
    pool = make_pool(python, max_workers=1)
    first = pool.acquire(probe_version(code_dir), CREDENTIALS, time.time() + 5)
    try:
        # WHEN another invocation comes and no worker frees up before its deadline
        second = pool.acquire(probe_version(code_dir), CREDENTIALS, time.time() + 5)
        # THEN it gets a new worker (without the spill it would get None at the deadline)
        assert second is not None
        assert second is not first
        second.kill()
    finally:
        assert first is not None
        first.kill()


def test_reserved_concurrency_is_a_hard_cap(python: str, code_dir: Path) -> None:
    pool = make_pool(python, max_workers=4)
    first = pool.acquire(probe_version(code_dir, reserved=1), CREDENTIALS, time.time() + 5)
    try:
        assert pool.acquire(probe_version(code_dir, reserved=1), CREDENTIALS, time.time() + 0.5) is None
    finally:
        assert first is not None
        first.kill()


def test_json_log_format_makes_the_runtimes_logging_structured(python: str, code_dir: Path) -> None:
    # GIVEN a function whose LoggingConfig says JSON
    lines: list[str] = []
    worker = start(python, code_dir, "app.logs", lines, log_format="JSON")
    # WHEN it logs through the standard logging module and prints
    try:
        invoke(worker)
    finally:
        worker.kill()
    # THEN the runtime client writes the log record as JSON with the request id (INFO passes: the default
    # application log level), and a print stays plain text, as on AWS
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert [(r["level"], r["message"], r["requestId"]) for r in records] == [("INFO", "structured hello", "req-1")]
    assert "plain line" in lines


def test_a_worker_killed_mid_line_ends_the_invocation_and_keeps_the_line(python: str, code_dir: Path) -> None:
    # GIVEN a handler that writes half a line, ending in half a UTF-8 character, and is killed
    lines: list[str] = []
    worker = start(python, code_dir, "app.dies_mid_line", lines)
    # WHEN it is invoked
    outcome = invoke(worker, seconds=5)
    # THEN the invocation ends at once as the runtime's exit, and the half line still reaches the log
    assert outcome.error is not None
    assert outcome.error["errorType"] == "Runtime.ExitError"
    assert poll_for(lambda: "half a line and half a character \ufffd" in lines)


def poll_for(condition: Callable[[], bool], seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_worker_is_retired_before_its_credentials_expire(python: str, code_dir: Path) -> None:
    # GIVEN a warm worker started with a short session: its credentials expire 3 s past the margin
    pool = make_pool(python, max_workers=1)
    version = probe_version(code_dir, handler="app.context_and_env")
    expires = datetime.now(UTC) + CREDENTIAL_MARGIN + timedelta(seconds=3)
    short_session = {**CREDENTIALS, "Expiration": expires}
    first = pool.acquire(version, short_session, time.time() + 1)
    assert first is not None
    assert first.credentials_expire == credentials_expiry(short_session)
    pool.release(first)
    # WHEN an invocation comes whose deadline falls within the margin of that expiry
    second = pool.acquire(version, {**CREDENTIALS, "Expiration": expires + timedelta(hours=1)}, time.time() + 5)
    try:
        # THEN the warm worker is not reused (it would call AWS with expired credentials) but retired
        assert second is not None
        assert second is not first
        assert not first.alive
    finally:
        pool.shutdown()
        if second is not None:
            second.kill()


def test_the_pool_lists_its_live_workers_and_whether_each_holds_an_invocation(python: str, code_dir: Path) -> None:
    # GIVEN a pool with one warm worker of a function
    pool = make_pool(python, max_workers=1)
    worker = pool.acquire(probe_version(code_dir, handler="app.context_and_env"), CREDENTIALS, time.time() + 5)
    assert worker is not None
    try:
        # THEN the runner's list names its process, function and log stream, idle
        assert pool.describe() == [
            {"pid": worker.process.pid, "function": "probe", "log_stream": worker.log_stream, "busy": False}
        ]
        # AND a worker that is gone leaves the list
        worker.kill()
        assert pool.describe() == []
    finally:
        pool.shutdown()


def test_the_runners_address_is_hidden_from_the_handler(code_dir: Path) -> None:
    # GIVEN a function whose environment routes it to the runner (modules/function local_runner_url)
    address = "http://127.0.0.1:4567/functions/probe"
    version = dataclasses.replace(
        probe_version(code_dir, "app.handler"), environment={"MINISTACK_LAMBDA_PROXY_URL": address, "MINE": "on"}
    )
    # WHEN its execution environment's variables are made
    env = runtime_environment(
        version, CREDENTIALS, "stream", "us-east-1", "http://localhost:4566", runtime_sdk(), "python3.12"
    )
    # THEN it keeps its own variables but not the one AWS would never give it
    assert env["MINE"] == "on"
    assert "MINISTACK_LAMBDA_PROXY_URL" not in env
    assert address not in env.values()
