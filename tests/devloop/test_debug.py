"""make debug: an IDE attaches over DAP, a paused invocation outlives the normal timeout, and the settings come back."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from localcloud.processes import port_in_use, wait_until
from tests.devloop.conftest import invoke
from tests.live.dap import DapClient
from tests.live.inner_loop import InnerLoop
from tests.live.stack import Stack

pytestmark = [pytest.mark.devloop, pytest.mark.localonly, pytest.mark.slow]

LIFTED_TIMEOUT_SECONDS = 900
LIFTED_VISIBILITY_SECONDS = 6 * 900
ATTACH_SECONDS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def settings(lambda_client: Any, sqs: Any, stack: Stack) -> tuple[int, int]:
    """(the processor's Timeout, the input queue's VisibilityTimeout)."""
    timeout = lambda_client.get_function_configuration(FunctionName=stack.process_function_name)["Timeout"]
    attributes = sqs.get_queue_attributes(QueueUrl=stack.input_queue_url, AttributeNames=["VisibilityTimeout"])
    return int(timeout), int(attributes["Attributes"]["VisibilityTimeout"])


def handler_body_line(app: Path) -> int:
    """The first line inside def handler: where an IDE's breakpoint on the handler stops."""
    lines = app.read_text().splitlines()
    start = next(n for n, line in enumerate(lines, start=1) if line.startswith("def handler("))
    return next(n for n, line in enumerate(lines[start:], start=start + 1) if line.strip() and '"""' not in line)


def test_a_debugger_holds_an_invocation_past_its_timeout_and_the_settings_come_back(
    stack: Stack, lambda_client: Any, sqs: Any, sources: Path, inner_loop: Callable[..., InnerLoop]
) -> None:
    deployed = settings(lambda_client, sqs, stack)
    port = free_port()
    # GIVEN make debug on the processor
    loop = inner_loop("--debug", "process_input_queue", "--debug-port", str(port))
    assert settings(lambda_client, sqs, stack) == (LIFTED_TIMEOUT_SECONDS, LIFTED_VISIBILITY_SECONDS)
    # WHEN an invocation starts and an IDE attaches with a breakpoint in the handler
    answers: list[tuple[str | None, str]] = []
    invoking = threading.Thread(
        target=lambda: answers.append(invoke(lambda_client, stack.process_function_name, {"Records": []}))
    )
    invoking.start()
    app = sources / "process_input_queue" / "app.py"
    client = DapClient(port, ATTACH_SECONDS)
    try:
        client.attach({str(app): [handler_body_line(app)]})
        stopped = client.event("stopped", ATTACH_SECONDS)
        assert stopped["body"]["reason"] == "breakpoint"
        # THEN a pause longer than the function's own timeout does not cut the invocation off
        time.sleep(deployed[0] + 1)  # the pause itself is what is tested
        client.request("continue", {"threadId": stopped["body"]["threadId"]})
        invoking.join(ATTACH_SECONDS)
    finally:
        client.close()
    ((error, payload),) = answers
    assert error is None
    assert json.loads(payload) == {"batchItemFailures": []}
    # AND leaving the session puts the timeouts back and ends its environment, freeing the port
    assert loop.stop() == 0
    assert settings(lambda_client, sqs, stack) == deployed
    assert wait_until(lambda: not port_in_use(port), 30), f"something still listens on the debug port {port}"
