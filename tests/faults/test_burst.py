"""A burst of 5,000 messages, 1% of them poison: every one accounted for."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.live.accounting import DEAD_LETTER, RESULT, Accountant, Ledger, message, post_all
from tests.live.stack import Stack

pytestmark = [pytest.mark.faults, pytest.mark.slow]

# BURST_MESSAGES lowers it for a quick try; the promise is checked at 5,000.
MESSAGES = int(os.environ.get("BURST_MESSAGES", "5000"))
# A generous floor for how many the stack handles per second end to end on a busy laptop.
MESSAGES_PER_SECOND_FLOOR = 10


def test_a_burst_with_one_percent_poison_is_accounted_for(
    stack: Stack, accountant: Accountant, keep_books: Any, dead_letter_seconds: float
) -> None:
    # GIVEN 5,000 messages posted concurrently, one in a hundred poison
    ledger = Ledger("burst")
    bodies = [
        (message(f"poison {n} MALFORMED_MASSAGE"), DEAD_LETTER) if n % 100 == 42 else (message(f"burst {n}"), RESULT)
        for n in range(MESSAGES)
    ]
    statuses = [r.status_code for r in post_all(stack, ledger, bodies)]
    assert statuses.count(200) == MESSAGES, {s: statuses.count(s) for s in set(statuses)}
    # WHEN the pipeline has worked through them
    report = accountant.settle(
        ledger, dead_letter_seconds + MESSAGES / MESSAGES_PER_SECOND_FLOOR, f"burst of {MESSAGES}, 1% poison"
    )
    # THEN 99% are results, 1% dead letters, none lost, duplicates only explained ones
    keep_books(report)
    assert (report.delivered, report.dead_lettered) == (MESSAGES - MESSAGES // 100, MESSAGES // 100)
