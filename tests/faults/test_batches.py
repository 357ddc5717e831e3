"""Bad records inside full batches: each fails alone, its neighbours are delivered."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.faults.conftest import Bench
from tests.live.accounting import DEAD_LETTER, RESULT, Ledger, message, post_all
from tests.live.controls import await_log, consumer_paused, now_ms

pytestmark = pytest.mark.faults

POISON = "MALFORMED_MASSAGE"


def mixed_batches(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The invocations that delivered some records and reported others failed."""
    return [line for line in lines if line.get("message") == "batch processed" and line["records"] > line["failed"] > 0]


def test_poison_records_fail_alone_in_full_batches(bench: Bench) -> None:
    # GIVEN 60 messages waiting while the consumer is paused, one in ten poison, so every batch of ten holds one
    ledger = Ledger("poison-in-batches")
    since = now_ms()
    with consumer_paused(bench.lambda_client, bench.stack.process_function_name):
        bodies = [
            (message(f"poison {n} {POISON}"), DEAD_LETTER) if n % 10 == 3 else (message(f"good {n}"), RESULT)
            for n in range(60)
        ]
        assert {r.status_code for r in post_all(bench.stack, ledger, bodies)} == {200}
    # WHEN the consumer takes them in full batches
    # THEN every good message is a result, every poison one a dead letter, none twice unexplained, none lost
    report = bench.account(ledger, "poison in full batches")
    assert (report.delivered, report.dead_lettered) == (54, 6)
    # AND the function saw batches mixing both and failed only the poison records
    assert await_log(bench.logs, bench.stack.process_function_name, since, mixed_batches, bench.dead_letter_seconds)


def test_entries_the_output_queue_refuses_fail_alone(bench: Bench) -> None:
    # GIVEN a batch of nine small messages and one the input queue takes but whose result the output queue
    # refuses: a body just under the queues' MaximumMessageSize grows past it with the result's fields
    ledger = Ledger("refused-entries")
    attributes = bench.sqs.get_queue_attributes(
        QueueUrl=bench.stack.output_queue_url, AttributeNames=["MaximumMessageSize"]
    )["Attributes"]
    frame = len(json.dumps(message("")(ledger.tag + "-00")))
    near_limit = message("n" * (int(attributes["MaximumMessageSize"]) - 32 - frame))
    since = now_ms()
    with consumer_paused(bench.lambda_client, bench.stack.process_function_name):
        bodies = [(message(f"small {n}"), RESULT) for n in range(9)]
        responses = post_all(bench.stack, ledger, [*bodies[:4], (near_limit, DEAD_LETTER), *bodies[4:]], workers=1)
        assert [r.status_code for r in responses] == [200] * 10
    big_message_id = responses[4].json()["messageId"]
    # WHEN the batch is processed: SendMessageBatch accepts nine entries and fails one
    # THEN the nine are results and the refused one, after its retries, a dead letter
    report = bench.account(ledger, "refused SendMessageBatch entries")
    assert (report.delivered, report.dead_lettered) == (9, 1)

    # AND the function logged SQS's per-entry refusal of exactly that record, in a batch that delivered others
    def refusal(lines: list[dict[str, Any]]) -> dict[str, Any] | None:
        refused = [line for line in lines if line.get("message") == "result rejected"]
        return refused[0] if refused and mixed_batches(lines) else None

    refused = await_log(bench.logs, bench.stack.process_function_name, since, refusal, bench.dead_letter_seconds)
    assert refused is not None
    assert refused["messageId"] == big_message_id
    assert refused["code"]  # InvalidParameterValue on the local cloud; AWS names its own code
