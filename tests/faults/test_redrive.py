"""Redrive: messages that failed wait in the DLQ; once the cause is fixed, tools/redrive moves them back."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import REPO_ROOT
from tests.live.accounting import INPUT_DLQ, RESULT, Accountant, Ledger, message, post_all
from tests.live.controls import function_environment
from tests.live.pipeline import poll
from tests.live.stack import Stack

pytestmark = pytest.mark.faults

POISONED = 5


def redrive(stack: Stack, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.redrive", "--from", stack.input_dlq_url, "--to", stack.input_queue_url, *options],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_dead_letters_come_back_as_results_once_the_cause_is_fixed(
    stack: Stack, lambda_client: Any, accountant: Accountant, keep_books: Any, dead_letter_seconds: float
) -> None:
    # GIVEN messages the function rejected (the seed's poison marker) waiting in the input DLQ
    ledger = Ledger("redrive")
    post_all(stack, ledger, [(message(f"redrive {n} MALFORMED_MASSAGE"), RESULT) for n in range(POISONED)])
    in_dlq = poll(
        lambda: {s.id for s in accountant.peek(ledger, INPUT_DLQ)} == set(ledger.accepted), dead_letter_seconds
    )
    assert in_dlq, f"the poisoned messages did not all reach the input DLQ within {dead_letter_seconds} s"
    # WHEN the cause is fixed (the marker rule turned off) and the DLQ is redriven
    with function_environment(lambda_client, stack.process_function_name, POISON_MARKER=""):
        counted = redrive(stack, "--dry-run")
        assert counted.returncode == 0, counted.stderr
        assert int(counted.stdout.split()[0]) >= POISONED
        moved = redrive(stack)
        assert moved.returncode == 0, moved.stderr
        assert moved.stdout.startswith("moved ")
        # THEN every one of them comes back as a result, exactly once
        report = accountant.settle(ledger, dead_letter_seconds, "redrive after the fix")
    keep_books(report)
    assert report.delivered == POISONED
