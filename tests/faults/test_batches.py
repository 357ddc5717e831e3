"""Bad records inside full batches: each fails alone, its neighbours are delivered.

Both workloads are posted while the consumer is paused, one after the other,
and then taken together: their failing records wait out the same redrive
window, so the file pays it once, not once per test.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from tests.faults.conftest import Bench
from tests.live.accounting import DEAD_LETTER, RESULT, Ledger, message, post_all
from tests.live.controls import await_log, consumer_paused, now_ms
from tests.live.stack import Stack

pytestmark = pytest.mark.faults

POISON = "MALFORMED_MASSAGE"


@dataclass(frozen=True)
class Waiting:
    """The workloads posted while the consumer was paused, and when they were posted."""

    poison: Ledger
    refused: Ledger
    # The input message id of the one message whose result the output queue refuses.
    refused_message_id: str
    since: int


def mixed_batches(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The invocations that delivered some records and reported others failed."""
    return [line for line in lines if line.get("message") == "batch processed" and line["records"] > line["failed"] > 0]


@pytest.fixture(scope="module")
def waiting(stack: Stack, sqs: Any, lambda_client: Any) -> Waiting:
    """60 messages, one in ten poison, so every batch of ten holds one; then a batch of nine small messages and one
    the input queue takes but whose result the output queue refuses: a body just under the queues'
    MaximumMessageSize grows past it with the result's fields."""
    poison, refused = Ledger("poison-in-batches"), Ledger("refused-entries")
    attributes = sqs.get_queue_attributes(QueueUrl=stack.output_queue_url, AttributeNames=["MaximumMessageSize"])
    frame = len(json.dumps(message("")(refused.tag + "-00")))
    near_limit = message("n" * (int(attributes["Attributes"]["MaximumMessageSize"]) - 32 - frame))
    since = now_ms()
    with consumer_paused(lambda_client, stack.process_function_name):
        bodies = [
            (message(f"poison {n} {POISON}"), DEAD_LETTER) if n % 10 == 3 else (message(f"good {n}"), RESULT)
            for n in range(60)
        ]
        assert {r.status_code for r in post_all(stack, poison, bodies)} == {200}
        small = [(message(f"small {n}"), RESULT) for n in range(9)]
        responses = post_all(stack, refused, [*small[:4], (near_limit, DEAD_LETTER), *small[4:]], workers=1)
        assert [r.status_code for r in responses] == [200] * 10
    return Waiting(poison, refused, responses[4].json()["messageId"], since)


def test_poison_records_fail_alone_in_full_batches(bench: Bench, waiting: Waiting) -> None:
    # GIVEN 60 messages that waited while the consumer was paused, one in ten poison
    # WHEN the consumer takes them in full batches
    # THEN every good message is a result, every poison one a dead letter, none twice unexplained, none lost
    report = bench.account(waiting.poison, "poison in full batches")
    assert (report.delivered, report.dead_lettered) == (54, 6)
    # AND the function saw batches mixing both and failed only the poison records
    logs, name = bench.logs, bench.stack.process_function_name
    assert await_log(logs, name, waiting.since, mixed_batches, bench.dead_letter_seconds)


def test_entries_the_output_queue_refuses_fail_alone(bench: Bench, waiting: Waiting) -> None:
    # GIVEN nine small messages and one whose result the output queue refuses, waiting together
    # WHEN they are processed: SendMessageBatch accepts the small ones' results and fails the big one's
    # THEN the nine are results and the refused one, after its retries, a dead letter
    report = bench.account(waiting.refused, "refused SendMessageBatch entries")
    assert (report.delivered, report.dead_lettered) == (9, 1)

    # AND the function logged SQS's per-entry refusal of exactly that record, in a batch that delivered others
    def refusal(lines: list[dict[str, Any]]) -> dict[str, Any] | None:
        refused = [line for line in lines if line.get("message") == "result rejected"]
        return refused[0] if refused and mixed_batches(lines) else None

    logs, name = bench.logs, bench.stack.process_function_name
    refused = await_log(logs, name, waiting.since, refusal, bench.dead_letter_seconds)
    assert refused is not None
    assert refused["messageId"] == waiting.refused_message_id
    assert refused["code"]  # InvalidParameterValue on the local cloud; AWS names its own code
