"""The pipeline end to end, through its public endpoints, on whichever target is deployed."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.live.accounting import DEAD_LETTER, RESULT, Accountant, Ledger, Report, Sighting, message, post_all
from tests.live.fixtures import TrackingPipeline
from tests.live.pipeline import redrive_seconds, unique_id
from tests.live.stack import Stack

pytestmark = pytest.mark.integration

# Bodies the request validator must refuse, each with the tracked id it would have carried.
SCHEMA_BREAKS = {
    "message-not-a-string": {"message": 42},
    "message-missing": {"text": "no message field"},
    "type-not-a-string": {"message": "x", "type": 7},
    "id-not-a-string": {"message": "x", "id": ["list"]},
}
NOT_JSON_OBJECTS = ["not json at all", "[1, 2]", '"a string"', ""]
OVERSIZE_ANSWER = {
    "message": "The input queue rejected the message: SQS takes at most 256 KiB per message and refuses some "
    "characters (e.g. U+FFFE, U+FFFF)"
}


def test_positive_a_message_comes_back_processed(pipeline: TrackingPipeline, sla: float) -> None:
    # GIVEN a message
    posted = pipeline.send("hello pipeline", type_="greeting")
    # WHEN it is accepted
    assert posted.status == 200, posted.response
    assert posted.message_id
    # THEN its result appears on the outbox with the same id, text and type
    result = pipeline.await_result(posted.id, sla)
    assert result is not None, f"no result for {posted.id} within {sla} s"
    assert (result["id"], result["message"], result["type"]) == (posted.id, "hello pipeline", "greeting")
    assert result["inputMessageId"] == posted.message_id
    assert result["processedAt"]


def test_false_positive_each_result_matches_its_own_request(pipeline: TrackingPipeline, sla: float) -> None:
    first = pipeline.send("first message", type_="a")
    second = pipeline.send("second message", type_="b")
    assert (first.status, second.status) == (200, 200)

    second_result = pipeline.await_result(second.id, sla)
    first_result = pipeline.await_result(first.id, sla)

    assert first_result is not None
    assert second_result is not None
    assert (first_result["message"], first_result["type"], first_result["inputMessageId"]) == (
        "first message",
        "a",
        first.message_id,
    )
    assert (second_result["message"], second_result["type"], second_result["inputMessageId"]) == (
        "second message",
        "b",
        second.message_id,
    )


@pytest.mark.slow
def test_exception_a_poison_message_ends_in_the_dlq_intact(
    pipeline: TrackingPipeline, books: Callable[..., None], stack: Stack, sqs: Any, sla: float
) -> None:
    # GIVEN a message carrying the seed's failure marker
    ledger = Ledger("poison")
    body = {"id": ledger.new_id(), "message": "please fail: MALFORMED_MASSAGE", "type": "test", "extra_field": "kept"}
    response = pipeline.post(body)
    assert response.status_code == 200
    ledger.record(body["id"], 200, response.json(), DEAD_LETTER)
    # WHEN the pipeline has retried it maxReceiveCount times (settled with the session's other accounts, at its end)
    # THEN it waits in the input DLQ with its own message id and the body exactly as posted, and never reached the
    # outbox (a result beside the dead letter is a breach)
    as_posted = json.dumps(body, ensure_ascii=False)

    def body_intact(sightings: list[Sighting]) -> list[str]:
        return [f"{s.id} in the {s.place} with the body {s.body!r}" for s in sightings if s.body != as_posted]

    window = redrive_seconds(sqs, stack.input_queue_url) + sla
    books(ledger, "poison message", watch_seconds=0, deadline_seconds=window, check=body_intact)


def schema_break(tracked_id: str, name: str) -> dict[str, Any]:
    return {"id": tracked_id, **SCHEMA_BREAKS[name]} if "id" not in SCHEMA_BREAKS[name] else SCHEMA_BREAKS[name]


def oversize_body(tracked_id: str, max_message_bytes: int) -> str:
    """A JSON body one byte over what the input queue takes: SQS's message is the posted body itself."""
    frame = json.dumps({"id": tracked_id, "message": ""})
    return json.dumps({"id": tracked_id, "message": "x" * (max_message_bytes + 1 - len(frame))})


@pytest.fixture(scope="session")
def max_message_bytes(stack: Stack, sqs: Any) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=stack.input_queue_url, AttributeNames=["MaximumMessageSize"])
    return int(attributes["Attributes"]["MaximumMessageSize"])


@pytest.mark.parametrize("name", SCHEMA_BREAKS)
def test_validation_a_body_breaking_the_schema_is_400(pipeline: TrackingPipeline, name: str) -> None:
    response = pipeline.post(schema_break(unique_id(), name))
    assert (response.status_code, response.json()) == (400, {"message": "Invalid request body"})


@pytest.mark.parametrize("raw", NOT_JSON_OBJECTS)
def test_validation_a_body_that_is_not_a_json_object_is_400(pipeline: TrackingPipeline, raw: str) -> None:
    response = pipeline.post(raw)
    assert (response.status_code, response.json()) == (400, {"message": "Invalid request body"})


def test_validation_a_non_json_content_type_is_415(pipeline: TrackingPipeline) -> None:
    response = pipeline.post(json.dumps({"id": unique_id(), "message": "x"}), content_type="text/plain")
    assert (response.status_code, response.json()) == (415, {"message": "Unsupported Media Type"})


def test_validation_json_with_a_charset_is_accepted(pipeline: TrackingPipeline, sla: float) -> None:
    result_id = unique_id()
    response = pipeline.post({"id": result_id, "message": "charset"}, content_type="application/json; charset=utf-8")
    assert response.status_code == 200
    pipeline.sent.append(result_id)
    assert pipeline.await_result(result_id, sla) is not None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nowhere"),
        ("POST", "/outbox"),
        ("DELETE", "/inbox"),
        ("GET", "/inbox"),
        ("PUT", "/"),
    ],
)
def test_validation_an_unknown_route_or_method_is_403(
    pipeline: TrackingPipeline, stack: Stack, method: str, path: str
) -> None:
    response = pipeline.http.request(method, stack.api_url + path, timeout=30)
    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}


def test_validation_an_oversize_message_is_a_clear_400(pipeline: TrackingPipeline, max_message_bytes: int) -> None:
    # GIVEN a body one byte over the input queue's MaximumMessageSize (the provider's default, 256 KiB)
    body = oversize_body(unique_id(), max_message_bytes)
    # WHEN it is posted
    response = pipeline.post(body)
    # THEN SQS refuses it and the API says why, in JSON
    assert (response.status_code, response.json()) == (400, OVERSIZE_ANSWER)


@pytest.mark.slow
def test_validation_rejected_requests_enqueue_nothing(
    pipeline: TrackingPipeline,
    stack: Stack,
    books: Callable[..., None],
    sqs: Any,
    sla: float,
    max_message_bytes: int,
) -> None:
    # GIVEN every kind of request the API refuses, each built around a tracked id
    ledger = Ledger("rejected")
    refused = [
        (schema_break(ledger.new_id(), name), "application/json") for name in SCHEMA_BREAKS if name != "id-not-a-string"
    ]
    refused += [(json.dumps({"id": ledger.new_id(), "message": "x"}), "text/plain")]
    refused += [(oversize_body(ledger.new_id(), max_message_bytes), "application/json")]
    # WHEN they are posted
    for body, content_type in refused:
        text = body if isinstance(body, str) else json.dumps(body)
        tracked_id = ledger.owner(text)
        assert tracked_id is not None
        response = pipeline.post(text, content_type=content_type)
        ledger.record(tracked_id, response.status_code, response.json(), RESULT)
    # THEN each was refused
    assert len(ledger.rejected) == len(refused)
    assert not ledger.accepted
    # AND, watched long enough for an enqueued one to end as a result or a dead letter (settled with the session's
    # other accounts, at its end), none appeared anywhere
    window = redrive_seconds(sqs, stack.input_queue_url) + sla
    books(ledger, "rejected requests", watch_seconds=window, deadline_seconds=2 * window)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("ünïcödé 日本語 emoji 🚀 and \"quotes\" 'single'", id="unicode-quotes"),
        pytest.param("a & b + c % d = e ? f # g / h \\ i", id="form-characters"),
        pytest.param("%26 %2B %25 %20 + already encoded", id="percent-sequences"),
        pytest.param("line one\nline two\r\n\ttabbed", id="newlines"),
        pytest.param("<xml attr='1'>&amp;</xml> {\"json\": true}", id="markup"),
        pytest.param("x" * 200 * 1024, id="200KB"),
    ],
)
def test_fidelity_text_round_trips_byte_exact(pipeline: TrackingPipeline, sla: float, text: str) -> None:
    posted = pipeline.send(text)
    assert posted.status == 200, posted.response
    result = pipeline.await_result(posted.id, sla)
    assert result is not None
    assert result["message"].encode("utf-8") == text.encode("utf-8")


@pytest.mark.slow
def test_burst_every_message_is_accounted_for_once(
    stack: Stack, accountant: Accountant, keep_books: Callable[[Report], None], dead_letter_seconds: float
) -> None:
    # GIVEN 200 messages posted concurrently
    ledger = Ledger("burst-200")
    responses = post_all(stack, ledger, [(message(f"burst message {n}"), RESULT) for n in range(200)], workers=200)
    assert [r.status_code for r in responses] == [200] * 200
    # WHEN the pipeline has worked through them (the accountant reads the queues directly: 200 GET /outbox
    # scans at once would measure the outbox function, which other tests cover, not the pipeline). A batch
    # whose invocation failed (e.g. timed out on a loaded machine) comes back after the visibility timeout,
    # as on AWS, so the deadline leaves room for the retries.
    report = accountant.settle(ledger, dead_letter_seconds, "burst of 200", watch_until=time.monotonic())
    # THEN each ended once, as a result carrying its own input message id: none lost, none twice
    keep_books(report)
    assert (report.delivered, report.dead_lettered) == (200, 0)
    assert not report.duplicates


def test_the_input_queue_has_exactly_one_consumer(stack: Stack, sqs: Any, lambda_client: Any) -> None:
    # The provider's SDK re-sends a create whose answer it lost (docs/testing.md, the bring-up retry); a second
    # event source mapping would be a silent second consumer of the input queue, so the deploy is checked for one.
    queue_arn = sqs.get_queue_attributes(QueueUrl=stack.input_queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    mappings = lambda_client.list_event_source_mappings(EventSourceArn=queue_arn)["EventSourceMappings"]
    assert [m["FunctionArn"].rsplit(":", 1)[-1] for m in mappings] == [stack.process_function_name]
