"""process_input_queue against moto: results, per-record failures, batching."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import pytest

from tests.conftest import load_event
from tests.unit.conftest import drain, load_handler


def sqs_record(message_id: str, body: str) -> dict:
    record = load_event("sqs_event.json")["Records"][0]
    record.update(messageId=message_id, body=body, md5OfBody=hashlib.md5(body.encode()).hexdigest())
    return record


def valid_body(index: int) -> str:
    return json.dumps({"id": f"id-{index}", "message": f"message {index}", "type": "test"})


@pytest.fixture
def app(output_queue_url: str) -> Any:
    return load_handler("process_input_queue")


def test_valid_batch_sends_one_result_per_record(app: Any, output_queue_url: str) -> None:
    # GIVEN an SQS event with two valid records
    event = load_event("sqs_event.json")
    # WHEN the batch is processed
    response = app.handler(event, None)
    # THEN no record fails and each result carries its input's fields and message id
    assert response == {"batchItemFailures": []}
    results = sorted((json.loads(body) for body in drain(output_queue_url)), key=lambda r: r["id"])
    assert [(r["id"], r["message"], r["type"], r["inputMessageId"]) for r in results] == [
        ("order-1", "hello", "greeting", "059f36b4-87a3-44ab-83d2-661975830a7d"),
        ("order-2", "world", None, "2e1424d4-f796-459a-8184-9c92662be6da"),
    ]
    assert all(r["processedAt"].endswith("+00:00") for r in results)
    assert all(set(r) == {"id", "message", "type", "inputMessageId", "processedAt"} for r in results)


def test_bad_records_fail_alone(app: Any, output_queue_url: str) -> None:
    # GIVEN a batch mixing a valid record, a poison message, non-JSON and non-object bodies
    event = {
        "Records": [
            sqs_record("good", valid_body(1)),
            sqs_record("poison", json.dumps({"id": "p", "message": "a MALFORMED_MASSAGE here"})),
            sqs_record("not-json", "{not json"),
            sqs_record("not-object", json.dumps(["message"])),
            sqs_record("no-message", json.dumps({"id": "x"})),
        ]
    }
    # WHEN it is processed
    response = app.handler(event, None)
    # THEN exactly the bad records are reported and only the good result is sent
    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == [
        "poison",
        "not-json",
        "not-object",
        "no-message",
    ]
    assert [json.loads(body)["inputMessageId"] for body in drain(output_queue_url)] == ["good"]


def test_an_id_or_type_that_is_not_a_string_fails_its_record_alone(
    app: Any, output_queue_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a batch mixing good records (one with a null id) and records whose id or type is not a string
    event = {
        "Records": [
            sqs_record("good", valid_body(1)),
            sqs_record("int-id", json.dumps({"message": "x", "id": 5})),
            sqs_record("null-id", json.dumps({"message": "x", "id": None})),
            sqs_record("float-id", json.dumps({"message": "x", "id": 1.5})),
            sqs_record("object-type", json.dumps({"message": "x", "type": {"kind": "a"}})),
            sqs_record("bool-type", json.dumps({"message": "x", "type": True})),
            sqs_record("good-2", valid_body(2)),
        ]
    }
    # WHEN it is processed
    response = app.handler(event, None)
    # THEN only those records fail, each saying which field is wrong, and the others are delivered
    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == [
        "int-id",
        "float-id",
        "object-type",
        "bool-type",
    ]
    reasons = {record.messageId: record.reason for record in caplog.records if record.getMessage() == "record failed"}
    not_a_string = "'{}' is not a string (the API's schema allows only a string)"
    assert reasons == {
        "int-id": not_a_string.format("id"),
        "float-id": not_a_string.format("id"),
        "object-type": not_a_string.format("type"),
        "bool-type": not_a_string.format("type"),
    }
    delivered = sorted(json.loads(body)["inputMessageId"] for body in drain(output_queue_url))
    assert delivered == ["good", "good-2", "null-id"]


def test_all_records_failing_fails_the_invocation(app: Any, output_queue_url: str) -> None:
    event = {"Records": [sqs_record("a", "nope"), sqs_record("b", "{}")]}
    with pytest.raises(app.BatchFailed, match="all 2 records"):
        app.handler(event, None)
    assert drain(output_queue_url) == []


def test_empty_event_succeeds(app: Any) -> None:
    assert app.handler({"Records": []}, None) == {"batchItemFailures": []}


@pytest.mark.parametrize("count", [1, 9, 10, 11, 25])
def test_batches_above_and_below_ten_send_every_result(
    app: Any, output_queue_url: str, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    calls: list[int] = []
    real_send = app.sqs_client().send_message_batch

    def counting_send(**kwargs: Any) -> dict:
        calls.append(len(kwargs["Entries"]))
        return real_send(**kwargs)

    monkeypatch.setattr(app.sqs_client(), "send_message_batch", counting_send)
    event = {"Records": [sqs_record(f"m{i}", valid_body(i)) for i in range(count)]}

    assert app.handler(event, None) == {"batchItemFailures": []}

    assert sorted(json.loads(body)["id"] for body in drain(output_queue_url)) == sorted(f"id-{i}" for i in range(count))
    assert all(size <= 10 for size in calls)
    assert len(calls) == -(-count // 10)


def test_chunks_respect_the_batch_byte_limit(app: Any) -> None:
    big = "x" * 400_000
    chunks = app.chunk_entries([(f"m{i}", big) for i in range(5)])
    assert [len(chunk) for chunk in chunks] == [2, 2, 1]


def test_entries_sqs_rejects_fail_only_their_records(
    app: Any, output_queue_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN SendMessageBatch rejects the second entry of the batch
    real_send = app.sqs_client().send_message_batch

    def partly_failing_send(**kwargs: Any) -> dict:
        rejected = kwargs["Entries"][1]
        response = real_send(QueueUrl=kwargs["QueueUrl"], Entries=[e for e in kwargs["Entries"] if e is not rejected])
        response["Failed"] = [
            {"Id": rejected["Id"], "SenderFault": True, "Code": "InvalidParameterValue", "Message": "rejected"}
        ]
        return response

    monkeypatch.setattr(app.sqs_client(), "send_message_batch", partly_failing_send)
    event = {"Records": [sqs_record(f"m{i}", valid_body(i)) for i in range(3)]}
    # WHEN the batch is processed
    response = app.handler(event, None)
    # THEN exactly that record is reported failed and the others are delivered
    assert response == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert sorted(json.loads(body)["inputMessageId"] for body in drain(output_queue_url)) == ["m0", "m2"]


def test_an_unreachable_output_queue_fails_every_record(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUTPUT_QUEUE_NAME", "missing")
    with pytest.raises(app.BatchFailed):
        app.handler(load_event("sqs_event.json"), None)


def test_unicode_and_form_characters_survive(app: Any, output_queue_url: str) -> None:
    text = 'héllo & goodbye + 100% "quoted" \n 日本語 🚀'
    app.handler({"Records": [sqs_record("u", json.dumps({"id": "u", "message": text}))]}, None)
    assert json.loads(drain(output_queue_url)[0])["message"] == text


def test_characters_sqs_refuses_are_escaped_and_decode_unchanged(app: Any, output_queue_url: str) -> None:
    # GIVEN a message holding escaped lone surrogates and U+FFFF, which SQS refuses raw in a body
    text = "a\ud800b\udfff c\uffff 🚀"
    event = {"Records": [sqs_record("s", json.dumps({"id": "s", "message": text})), sqs_record("ok", valid_body(1))]}
    # WHEN the batch is processed
    response = app.handler(event, None)
    # THEN both results are sent, with no refused character in the body, and the message decodes unchanged
    assert response == {"batchItemFailures": []}
    bodies = {json.loads(body)["inputMessageId"]: body for body in drain(output_queue_url)}
    assert not app.SQS_REFUSED_CHARACTERS.search(bodies["s"])
    assert json.loads(bodies["s"])["message"] == text


def test_unreadable_json_fails_its_record_alone(app: Any, output_queue_url: str) -> None:
    # GIVEN valid JSON nested deeper than the interpreter reads, beside a good record
    deep = '{"message": "x", "deep": ' + "[" * 100_000 + "]" * 100_000 + "}"
    event = {"Records": [sqs_record("deep", deep), sqs_record("ok", valid_body(1))]}
    # WHEN the batch is processed
    response = app.handler(event, None)
    # THEN only the deep record fails; its neighbour is delivered
    assert response == {"batchItemFailures": [{"itemIdentifier": "deep"}]}
    assert [json.loads(body)["inputMessageId"] for body in drain(output_queue_url)] == ["ok"]


def test_a_long_integer_in_an_extra_field_is_no_obstacle(app: Any, output_queue_url: str) -> None:
    body = '{"id": "n", "message": "long number", "n": ' + "7" * 5000 + "}"
    assert app.handler({"Records": [sqs_record("n", body)]}, None) == {"batchItemFailures": []}
    assert json.loads(drain(output_queue_url)[0])["message"] == "long number"


@pytest.mark.parametrize(
    ("marker", "text", "fails"),
    [
        pytest.param(None, "has MALFORMED_MASSAGE", True, id="default-marker"),
        pytest.param("", "has MALFORMED_MASSAGE", False, id="rule-off"),
        pytest.param("BAD", "is BAD", True, id="other-marker"),
        pytest.param("BAD", "has MALFORMED_MASSAGE", False, id="default-no-longer-applies"),
    ],
)
def test_the_poison_marker_comes_from_the_environment(
    app: Any, output_queue_url: str, monkeypatch: pytest.MonkeyPatch, marker: str | None, text: str, fails: bool
) -> None:
    if marker is not None:
        monkeypatch.setenv("POISON_MARKER", marker)
    records = [sqs_record("m", json.dumps({"id": "m", "message": text})), sqs_record("ok", valid_body(1))]
    response = app.handler({"Records": records}, None)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m"}] if fails else []}


def test_the_first_log_line_names_the_batch(app: Any, caplog: pytest.LogCaptureFixture) -> None:
    # An invocation killed mid-batch leaves this line behind: it says which records it held.
    caplog.set_level(logging.INFO)
    app.handler(load_event("sqs_event.json"), None)
    first = caplog.records[0]
    assert (first.levelname, first.getMessage(), first.messageIds) == (
        "INFO",
        "batch received",
        ["059f36b4-87a3-44ab-83d2-661975830a7d", "2e1424d4-f796-459a-8184-9c92662be6da"],
    )


def test_a_redriven_record_keeps_the_message_id_posting_returned(app: Any, output_queue_url: str) -> None:
    # GIVEN a record sent again from the DLQ: a new message id, the first one in its OriginalMessageId attribute
    record = sqs_record("new-id", valid_body(1))
    record["messageAttributes"] = {"OriginalMessageId": {"stringValue": "first-id", "dataType": "String"}}
    # WHEN it is processed
    response = app.handler({"Records": [record]}, None)
    # THEN its result names the first id (consumers de-duplicate on it), while failures would name the new one
    assert response == {"batchItemFailures": []}
    assert json.loads(drain(output_queue_url)[0])["inputMessageId"] == "first-id"
