"""check_output_queue against moto: one result per GET, the id filter, errors."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from tests.conftest import load_event
from tests.unit.conftest import drain, load_handler


@pytest.fixture
def app(output_queue_url: str) -> Any:
    return load_handler("check_output_queue")


def get_outbox(app: Any, result_id: str | None = None) -> dict:
    event = load_event("apigw_get_outbox.json")
    if result_id is not None:
        event["queryStringParameters"] = {"id": result_id}
        event["multiValueQueryStringParameters"] = {"id": [result_id]}
    return app.handler(event, None)


def put_results(queue_url: str, *ids: str) -> None:
    sqs = boto3.client("sqs")
    for result_id in ids:
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"id": result_id, "message": result_id}))


def test_empty_queue_is_404_with_the_seed_body(app: Any) -> None:
    response = get_outbox(app)
    assert response["statusCode"] == 404
    assert json.loads(response["body"]) == {"message": "no message in the output queue"}
    assert response["headers"]["Content-Type"] == "application/json"


def test_a_result_is_returned_and_deleted(app: Any, output_queue_url: str) -> None:
    put_results(output_queue_url, "r1")
    response = get_outbox(app)
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"id": "r1", "message": "r1"}
    assert drain(output_queue_url) == []


def test_id_filter_takes_only_the_match_and_releases_the_rest(app: Any, output_queue_url: str) -> None:
    # GIVEN three results on the queue
    put_results(output_queue_url, "a", "b", "c")
    # WHEN a client asks for b
    response = get_outbox(app, "b")
    # THEN it gets b, and a and c are visible again at once
    assert json.loads(response["body"])["id"] == "b"
    assert sorted(json.loads(body)["id"] for body in drain(output_queue_url)) == ["a", "c"]


def test_id_filter_without_a_match_is_404_and_takes_nothing(app: Any, output_queue_url: str) -> None:
    put_results(output_queue_url, "a", "b")
    assert get_outbox(app, "zzz")["statusCode"] == 404
    assert sorted(json.loads(body)["id"] for body in drain(output_queue_url)) == ["a", "b"]


def test_id_filter_scans_past_the_first_receive(app: Any, output_queue_url: str) -> None:
    others = [f"other-{i}" for i in range(25)]
    put_results(output_queue_url, *others, "wanted")
    assert json.loads(get_outbox(app, "wanted")["body"])["id"] == "wanted"
    assert len(drain(output_queue_url)) == 25


def test_non_result_bodies_are_skipped_by_the_filter(app: Any, output_queue_url: str) -> None:
    boto3.client("sqs").send_message(QueueUrl=output_queue_url, MessageBody="plain text")
    put_results(output_queue_url, "x")
    assert json.loads(get_outbox(app, "x")["body"])["id"] == "x"
    assert drain(output_queue_url) == ["plain text"]


def test_empty_id_is_a_400(app: Any) -> None:
    response = get_outbox(app, "")
    assert response["statusCode"] == 400
    assert json.loads(response["body"]) == {"message": "id must not be empty"}


def test_queue_errors_are_a_json_500_without_a_trace(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUTPUT_QUEUE_NAME", "missing")
    response = get_outbox(app)
    assert response["statusCode"] == 500
    assert json.loads(response["body"]) == {"message": "could not read the output queue, retry later"}
    assert "Traceback" not in response["body"]


def test_a_bad_wait_setting_is_a_json_500(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a function deployed with an OUTBOX_WAIT_SECONDS that is not a number
    monkeypatch.setenv("OUTBOX_WAIT_SECONDS", "soon")
    # WHEN a client asks for a result
    response = get_outbox(app)
    # THEN it gets the same JSON 500 as any other failure, not a crashed invocation
    assert response["statusCode"] == 500
    assert json.loads(response["body"]) == {"message": "could not read the output queue, retry later"}
