"""The flow of AWS's sample test (serverless-test-samples, python-test-samples/apigw-sqs-lambda-sqs,
tests/integration/test_api_gateway.py), run against our contract. docs/from-the-sample.md lists every
difference; the ones this file shows are the changes a user of the sample's test must make.

The sample posts {"id": "TEST001_<uuid>", "message": "This is a test message"}, sleeps 0.5 s, GETs
/outbox and asserts the id is in what came back. Here the GET names the id (?id=): a plain GET takes
any result, and with 4 xdist workers sharing the output queue that is often another test's, which the
plain GET would also delete. The short wait is a poll with a deadline, and the result is our result
object, not SQS's ReceiveMessage response.
"""

from __future__ import annotations

import uuid

import pytest

from tests.live.fixtures import TrackingPipeline

pytestmark = pytest.mark.integration

SAMPLE_TEXT = "This is a test message"
EMPTY_OUTBOX = {"message": "no message in the output queue"}
# The body the sample's client.sh posts: in single quotes, so the shell never expands $message.
CLIENT_SH_BODY = '{ "message": $message }'


def sample_message() -> dict[str, str]:
    """The sample's test message, with its unique id."""
    return {"id": f"TEST001_{uuid.uuid4()}", "message": SAMPLE_TEXT}


def test_the_samples_message_comes_back_from_the_outbox(pipeline: TrackingPipeline, sla: float) -> None:
    # GIVEN the sample's test message
    message = sample_message()
    # WHEN it is posted to the inbox, as the sample posts it
    posted = pipeline.post(message)
    assert posted.status_code == 200, posted.text
    pipeline.sent.append(message["id"])
    # AND, after a short wait, GET /outbox is asked for it
    result = pipeline.await_result(message["id"], sla)
    # THEN the outbox answers 200 with the posted id in what comes back: the result object itself,
    # where the sample read response.json()["Messages"][0]["Body"]
    assert result is not None, f"no result for {message['id']} within {sla} s"
    assert (result["id"], result["message"]) == (message["id"], SAMPLE_TEXT)
    assert result["inputMessageId"] == posted.json()["messageId"]


def test_an_id_not_on_the_outbox_is_a_404_with_a_json_message(pipeline: TrackingPipeline) -> None:
    # GIVEN an id of the sample's form that was never posted
    # WHEN the outbox is asked for it
    response = pipeline.http.get(pipeline.stack.outbox_url, params={"id": sample_message()["id"]}, timeout=30)
    # THEN it answers 404 with a JSON object, where the sample answered the JSON string
    # "No message in the output queue"
    assert (response.status_code, response.json()) == (404, EMPTY_OUTBOX)


def test_the_samples_client_sh_body_is_refused(pipeline: TrackingPipeline) -> None:
    # GIVEN the body the sample's client.sh sends, which is not JSON
    # WHEN it is posted
    response = pipeline.post(CLIENT_SH_BODY)
    # THEN the request validator refuses it, where the sample's API enqueued it
    assert (response.status_code, response.json()) == (400, {"message": "Invalid request body"})
