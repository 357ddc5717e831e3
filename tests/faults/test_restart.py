"""The local cloud restarted, with state persistence on, while a backlog waits (local cloud only)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from localcloud import instance, ministack
from localcloud.settings import Settings
from tests.live.accounting import RESULT, Accountant, Ledger, message, post_all
from tests.live.controls import consumer_paused
from tests.live.stack import Stack
from tools.redrive import waiting

pytestmark = [pytest.mark.faults, pytest.mark.localonly]

BACKLOG = 200


def persisting(settings: Settings) -> bool:
    """Whether the running MiniStack saves its state on shutdown (it reads PERSIST_STATE at start)."""
    pid = ministack.server_pid(settings)
    return bool(pid and ministack.running_flags(pid).get("persist"))


def restart(settings: Settings) -> None:
    """Stop MiniStack and the runner (MiniStack saves its state as it stops), then start both again."""
    instance.down(settings)
    instance.up(dataclasses.replace(settings, persist=True))


def test_a_waiting_backlog_survives_a_restart_and_drains(
    local_cloud: Settings,
    stack: Stack,
    sqs: Any,
    lambda_client: Any,
    accountant: Accountant,
    keep_books: Any,
    dead_letter_seconds: float,
) -> None:
    if not persisting(local_cloud):
        pytest.skip("the local cloud runs without state persistence: start it with LOCALCLOUD_PERSIST=true")
    ledger = Ledger("restart")
    # GIVEN a backlog waiting in the input queue while the consumer is paused
    with consumer_paused(lambda_client, stack.process_function_name):
        post_all(stack, ledger, [(message(f"backlog {n}"), RESULT) for n in range(BACKLOG)])
        assert len(ledger.accepted) == BACKLOG
        assert waiting(sqs, stack.input_queue_url) == BACKLOG
        # WHEN the local cloud is restarted
        restart(local_cloud)
        # THEN the backlog is still there
        assert waiting(sqs, stack.input_queue_url) == BACKLOG
    # AND, the consumer running again, every message ends exactly once as a result
    report = accountant.settle(ledger, dead_letter_seconds, f"local cloud restarted with a backlog of {BACKLOG}")
    keep_books(report)
    assert report.delivered == BACKLOG
