"""A Lambda worker killed, or hung until its timeout, in the middle of a batch (local cloud only).

A background client keeps posting while a warm worker of process_input_queue
is caught running an invocation and stopped (SIGSTOP). Its log stream names
the batch it holds ("batch received"). Then it is killed (SIGKILL), or left
hung for the runner to end at the function's timeout. Either way the batch's
records must come back after the input queue's visibility timeout, be
processed, and end exactly once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from localcloud.settings import Settings
from tests.live.accounting import RESULT, Accountant, Ledger, message, post_all
from tests.live.controls import await_log, now_ms
from tests.live.stack import Stack
from tests.live.workers import WorkerProcess, stop_one_mid_batch

pytestmark = [pytest.mark.faults, pytest.mark.localonly]

CATCH_SECONDS = 60
# Pace of the steady traffic: enough to keep workers busy, little enough to leave the machine some CPU.
POST_INTERVAL_SECONDS = 0.1
BURST = 5


@contextmanager
def steady_traffic(stack: Stack, ledger: Ledger) -> Iterator[None]:
    """Post small bursts until the block ends, so workers keep taking batches of several records."""
    done = threading.Event()

    def post_until_done() -> None:
        tick = 0
        while not done.wait(POST_INTERVAL_SECONDS):
            post_all(stack, ledger, [(message(f"steady {tick}.{n}"), RESULT) for n in range(BURST)], workers=BURST)
            tick += 1

    poster = threading.Thread(target=post_until_done, daemon=True)
    poster.start()
    try:
        yield
    finally:
        done.set()
        poster.join(timeout=30)


def held_batch(lines: list[dict[str, Any]]) -> list[str] | None:
    """The message ids of the invocation a stopped worker holds: its last "batch received", not yet processed."""
    markers = [line for line in lines if line.get("message") in ("batch received", "batch processed")]
    if markers and markers[-1]["message"] == "batch received":
        return markers[-1]["messageIds"]
    return None


def catch_a_batch(settings: Settings, stack: Stack, logs: Any, since: int) -> tuple[WorkerProcess, list[str]]:
    """A worker stopped mid-batch whose log names the batch; a worker stopped before its handler logged is let go."""
    for _ in range(20):
        worker = stop_one_mid_batch(settings, stack.process_function_name, CATCH_SECONDS)
        assert worker is not None, f"no worker of {stack.process_function_name} caught mid-batch in {CATCH_SECONDS} s"
        # The runner ships log lines every 200 ms.
        batch = await_log(logs, stack.process_function_name, since, held_batch, 3, stream=worker.log_stream)
        if batch:
            return worker, batch
        # Let it go, unless the runner has already ended it at the function's timeout.
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker.pid, signal.SIGCONT)
    pytest.fail("never caught a worker after its handler named its batch")


def retried(batch: list[str]) -> Any:
    """A later invocation received the caught batch's records again."""
    return lambda lines: [
        line for line in lines if line.get("message") == "batch received" and set(batch) & set(line["messageIds"])
    ]


def warm_up(stack: Stack, accountant: Accountant, sla: float) -> None:
    """A result proves a worker is warm: only workers seen waiting are caught."""
    ledger = Ledger("warm-up")
    post_all(stack, ledger, [(message(f"warm {n}"), RESULT) for n in range(4)])
    accountant.settle(ledger, 3 * sla, "warm-up").assert_kept()


@pytest.mark.parametrize(
    ("fault", "signature"),
    [
        pytest.param("killed", "Runtime.ExitError", id="sigkill"),
        pytest.param("timed out", "Task timed out after", id="timeout"),
    ],
)
def test_a_batch_interrupted_mid_way_comes_back_and_ends_once(
    fault: str,
    signature: str,
    local_cloud: Settings,
    stack: Stack,
    logs: Any,
    accountant: Accountant,
    keep_books: Any,
    sla: float,
    dead_letter_seconds: float,
) -> None:
    warm_up(stack, accountant, sla)
    ledger = Ledger(f"worker-{fault.replace(' ', '-')}")
    since = now_ms()
    # GIVEN a steady flow of messages and a worker stopped while it holds a batch of them
    with steady_traffic(stack, ledger):
        worker, batch = catch_a_batch(local_cloud, stack, logs, since)
        # WHEN the worker is killed, or left hung until the runner ends it at the function's timeout
        if fault == "killed":
            os.kill(worker.pid, signal.SIGKILL)
        failure = await_log(
            logs,
            stack.process_function_name,
            since,
            lambda lines: [line for line in lines if signature in line["raw"]],
            dead_letter_seconds,
            stream=worker.log_stream,
        )
    assert failure, f"the runner never reported the worker {fault} ({signature})"
    # THEN the batch's records are received again once their visibility timeout passes
    assert await_log(logs, stack.process_function_name, since, retried(batch), dead_letter_seconds)
    # AND every message, those of the batch included, ends exactly once as a result
    report = accountant.settle(ledger, dead_letter_seconds, f"worker {fault} mid-batch ({len(batch)} records held)")
    keep_books(report)
    held = {a.message_id for a in ledger.accepted.values()} & set(batch)
    assert held == set(batch), "the caught batch held messages this test did not post"
