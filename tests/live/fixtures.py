"""Fixtures for the suites that run against a deployed stack (integration, contract, faults)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import boto3
import pytest
import requests

from tests.live.accounting import Accountant, Books, Report
from tests.live.pipeline import Pipeline, Posted, body_has_id, redrive_seconds, take_from_queue
from tests.live.stack import Stack, read_stack, sla_seconds

ACCOUNTING = "accounting"
# Figures of the runs settled at the end of the session; carried by the teardown report of its last test.
SETTLED_AT_THE_END = "accounting settled at the end"
BOOKS = pytest.StashKey[Books]()
T = TypeVar("T")


def required(request: pytest.FixtureRequest, deployed: T | None, hint: str) -> T:
    """What `terraform output` gave, or the end of the session with a hint when nothing is deployed.

    A pytest-xdist worker cannot end the session (pytest.exit crashes it and the
    hint is lost), so there the test fails with the hint and the worker stops;
    the controller then ends the run with the same hint.
    """
    if deployed is None:
        if os.environ.get("PYTEST_XDIST_WORKER"):
            request.session.shouldstop = hint
            pytest.fail(hint, pytrace=False)
        pytest.exit(hint, returncode=2)
    return deployed


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest) -> Stack:
    return required(request, read_stack(), "no deployed stack found in `terraform output`: run `make deploy` first")


@pytest.fixture(scope="session")
def sla() -> float:
    return sla_seconds()


@pytest.fixture
def dead_letter_seconds(stack: Stack, sqs: Any, sla: float) -> float:
    """Long enough for a failing message to use up its receives and reach the input DLQ, with slack for load."""
    return redrive_seconds(sqs, stack.input_queue_url) + 3 * sla


@pytest.fixture(scope="session")
def sqs(stack: Stack) -> Any:
    return boto3.client("sqs", region_name=stack.region)


@pytest.fixture(scope="session")
def lambda_client(stack: Stack) -> Any:
    return boto3.client("lambda", region_name=stack.region)


@pytest.fixture(scope="session")
def logs(stack: Stack) -> Any:
    return boto3.client("logs", region_name=stack.region)


@pytest.fixture(autouse=True)
def _skip_local_only_on_aws(request: pytest.FixtureRequest) -> None:
    """Tests marked localonly need the local cloud's processes; on AWS they are skipped."""
    if request.node.get_closest_marker("localonly") and not request.getfixturevalue("stack").is_local:
        pytest.skip("needs the local cloud's processes; skipped on AWS")


@pytest.fixture
def pipeline(stack: Stack, sqs: Any) -> Iterator[TrackingPipeline]:
    """A client of the live API that removes, at teardown, whatever its test left behind."""
    with requests.Session() as http:
        client = TrackingPipeline(stack, http)
        yield client
        for result_id in client.unconsumed():
            if client.take_result(result_id) is None:
                take_from_queue(sqs, stack.input_dlq_url, body_has_id(result_id), deadline_seconds=0.5)


class TrackingPipeline(Pipeline):
    """Remembers the ids it sent, and which of them the test consumed."""

    def __init__(self, stack: Stack, http: requests.Session) -> None:
        super().__init__(stack, http)
        self.sent: list[str] = []
        self.taken: set[str] = set()

    def send(self, message: str, type_: str | None = "test", **extra: Any) -> Posted:
        posted = super().send(message, type_, **extra)
        if posted.status == 200:
            self.sent.append(posted.id)
        return posted

    def take_result(self, result_id: str) -> dict[str, Any] | None:
        result = super().take_result(result_id)
        if result is not None:
            self.taken.add(result_id)
        return result

    def mark_consumed(self, result_id: str) -> None:
        self.taken.add(result_id)

    def unconsumed(self) -> list[str]:
        return [i for i in self.sent if i not in self.taken]


@pytest.fixture
def accountant(stack: Stack, sqs: Any) -> Accountant:
    return Accountant(sqs, stack)


@pytest.fixture
def keep_books(record_property: Callable[[str, object], None]) -> Callable[[Report], None]:
    """Record a run's figures for the summary (they travel with the report, xdist included), then assert them."""

    def keep(report: Report) -> None:
        record_property(
            ACCOUNTING, [f"{report.run}: {report.figures()}", *(f"  duplicate {d}" for d in report.duplicates)]
        )
        report.assert_kept()

    return keep


@pytest.fixture
def books(request: pytest.FixtureRequest, accountant: Accountant) -> Callable[..., None]:
    """Open an account settled at the end of the session (Books): the redrive window is paid once, not per test.

    Its verdict comes with the teardown of the session's last test (of each
    pytest-xdist worker), naming the test that opened it.
    """
    shared = request.config.stash.setdefault(BOOKS, Books(accountant))

    def open_account(*args: Any, **kwargs: Any) -> None:
        shared.open(*args, opened_by=request.node.nodeid, **kwargs)

    return open_account


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """After the session's last test, before its fixtures go: settle every account the books hold.

    pytest-xdist hands a worker's last test nextitem None too, so each worker
    settles the accounts its tests opened; their windows overlap.
    """
    books = item.config.stash.get(BOOKS, None)
    breaches: list[str] = []
    if nextitem is None and books is not None and books.accounts:
        lines: list[str] = []
        for account, report in books.settle(say=progress_printer(item.config)):
            lines += [f"{report.run}: {report.figures()}", *(f"  duplicate {d}" for d in report.duplicates)]
            try:
                report.assert_kept()
            except AssertionError as breach:
                breaches.append(f"{account.opened_by}: {breach}")
        item.user_properties.append((SETTLED_AT_THE_END, lines))
    result = yield
    assert not breaches, "accounts settled at the end of the session:\n" + "\n".join(breaches)
    return result


def progress_printer(config: pytest.Config) -> Callable[[str], None]:
    """Print past pytest's capture where there is a terminal (not in a pytest-xdist worker, whose output is dropped)."""
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")

    def say(text: str) -> None:
        if terminal is not None and capture is not None:
            with capture.global_and_fixture_disabled():
                terminal.write_line(text)

    return say


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The figures of every accounted run: sent, accepted, delivered, DLQ, duplicates (explained), lost."""
    lines = [
        line
        for status, reports in terminalreporter.stats.items()
        for report in reports
        for name, value in getattr(report, "user_properties", [])
        if (name == ACCOUNTING and status in ("passed", "failed")) or name == SETTLED_AT_THE_END
        for line in value
    ]
    if lines:
        terminalreporter.section("accounting")
        for line in lines:
            terminalreporter.write_line(line)
