"""Fixtures of the fault suite. It runs alone (make test-faults, serially, after the other suites):
some faults change the stack or stop the local cloud for a while."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from localcloud.ministack import server_pid
from localcloud.settings import Settings
from tests.live.accounting import Accountant, Ledger, Report
from tests.live.stack import Stack


@dataclass(frozen=True)
class Bench:
    """What every fault works with: the stack, its clients, and the accounting of its messages."""

    stack: Stack
    sqs: Any
    lambda_client: Any
    logs: Any
    accountant: Accountant
    keep_books: Callable[[Report], None]
    # Long enough for a failing message to use up its receives and reach the input DLQ, with slack for load.
    dead_letter_seconds: float

    def account(self, ledger: Ledger, run: str) -> Report:
        """Wait until the ledger's messages have ended, then record and check the figures."""
        report = self.accountant.settle(ledger, self.dead_letter_seconds, run)
        self.keep_books(report)
        return report


@pytest.fixture
def bench(
    stack: Stack,
    sqs: Any,
    lambda_client: Any,
    logs: Any,
    accountant: Accountant,
    keep_books: Callable[[Report], None],
    dead_letter_seconds: float,
) -> Bench:
    return Bench(stack, sqs, lambda_client, logs, accountant, keep_books, dead_letter_seconds)


@pytest.fixture(scope="session")
def iam(stack: Stack) -> Any:
    return boto3.client("iam", region_name=stack.region)


@pytest.fixture
def local_cloud(stack: Stack) -> Settings:
    """The running local cloud's settings (LOCALCLOUD_PORT and the rest, as the Makefile exports them)."""
    settings = Settings.from_env()
    if server_pid(settings) is None:
        pytest.fail(f"no local cloud of ours runs on port {settings.port}; set LOCALCLOUD_PORT to the stack's")
    return settings
