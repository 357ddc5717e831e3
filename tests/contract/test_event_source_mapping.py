"""Event source mapping (SQS to Lambda).

Each test maps a queue of its own to the probe, which reports every batch it
gets to a recorder queue and answers as the record bodies ask.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

import pytest

from tests.contract.probe import Mappings, Queue, Recorder
from tests.live.pipeline import poll

pytestmark = pytest.mark.contract

# The first delivery may wait for AWS to start polling a new mapping.
DELIVERY_SECONDS = 60.0
# Beyond a visibility timeout, how long a retry may take to show up.
RETRY_SLACK_SECONDS = 10.0


def send(sqs: Any, queue: Queue, *bodies: str) -> list[str]:
    """Send the bodies in one batch; their message ids in order."""
    response = sqs.send_message_batch(
        QueueUrl=queue.url, Entries=[{"Id": str(n), "MessageBody": body} for n, body in enumerate(bodies)]
    )
    assert not response.get("Failed"), response["Failed"]
    return [entry["MessageId"] for entry in sorted(response["Successful"], key=lambda e: int(e["Id"]))]


def delivered(*message_ids: str, times: int = 1) -> Any:
    """A condition on the recorder: each message delivered at least `times` times."""
    return lambda recorder: all(len(recorder.deliveries(m)) >= times for m in message_ids)


def test_no_invocation_carries_more_records_than_the_batch_size(
    sqs: Any, source: Queue, mappings: Mappings, recorder: Recorder
) -> None:
    """No invocation carries more records than BatchSize; every message arrives.

    AWS: BatchSize is the maximum number of records in one invocation.
    """
    mappings.create(source, batch_size=3)

    sent = send(sqs, source, *[recorder.command() for _ in range(10)])

    assert recorder.watch(delivered(*sent), DELIVERY_SECONDS), "not every message was delivered"
    assert max(len(report["records"]) for report in recorder.reports) <= 3


@pytest.mark.local_differs
def test_a_lone_record_waits_for_the_batching_window(
    sqs: Any, source: Queue, mappings: Mappings, recorder: Recorder
) -> None:
    """With a batching window and a batch not full, the function is not invoked before the window ends.

    AWS: Lambda keeps gathering records until the batching window ends, the batch is full or the payload reaches
    6 MB, whichever comes first.

    Local cloud: MaximumBatchingWindowInSeconds is stored but never waited for: the poller invokes as soon as a
    message is visible (ministack/services/lambda_svc.py:7587)

    Handling: the pipeline's default window is 0; a stack setting one is only checked on AWS
    """
    window = 10
    mappings.create(source, batch_size=10, window_seconds=window)

    sent_at = time.monotonic()
    [message_id] = send(sqs, source, recorder.command())
    recorder.watch(delivered(message_id), window / 2)
    early = recorder.deliveries(message_id)
    recorder.watch(delivered(message_id), DELIVERY_SECONDS)

    assert early == [], f"delivered {time.monotonic() - sent_at:.1f} s after sending, before the {window} s window"
    assert recorder.deliveries(message_id) == [1]


def test_only_the_records_reported_as_failed_return(
    sqs: Any, mapped: Queue, recorder: Recorder, probe_timeout: int
) -> None:
    """With ReportBatchItemFailures, only the records named in batchItemFailures are delivered again.

    AWS: the function's batchItemFailures list the message ids to retry; Lambda deletes the other records of the
    batch.
    """
    failing, passing = send(sqs, mapped, recorder.command(fail_times=1), recorder.command())

    assert recorder.watch(delivered(failing), DELIVERY_SECONDS)
    assert recorder.watch(delivered(failing, times=2), probe_timeout + RETRY_SLACK_SECONDS)
    assert recorder.deliveries(failing) == [1, 2]
    assert recorder.deliveries(passing) == [1]


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(None, id="null"),
        pytest.param({}, id="empty-object"),
        pytest.param({"batchItemFailures": []}, id="empty-list"),
        pytest.param({"batchItemFailures": None}, id="null-list", marks=pytest.mark.local_differs),
    ],
)
def test_an_empty_response_means_the_whole_batch_succeeded(
    sqs: Any, mapped: Queue, recorder: Recorder, probe_timeout: int, reply: Any
) -> None:
    """An empty or null response, or an empty or null batchItemFailures, deletes the whole batch.

    AWS: Lambda treats the batch as a complete success for an empty or null response and for an empty or null
    batchItemFailures list.

    Local cloud: (null-list) a null batchItemFailures raises TypeError in the poller, so the batch is retried
    (ministack/services/lambda_svc.py:7677)

    Handling: process_input_queue always returns a list
    """
    sent = send(sqs, mapped, recorder.command(reply=reply), recorder.command(reply=reply))

    assert recorder.watch(delivered(*sent), DELIVERY_SECONDS)
    recorder.watch(delivered(*sent, times=2), probe_timeout + RETRY_SLACK_SECONDS)
    assert [recorder.deliveries(m) for m in sent] == [[1], [1]]


def assert_every_record_returns(recorder: Recorder, sent: list[str], probe_timeout: int) -> None:
    assert recorder.watch(delivered(*sent), DELIVERY_SECONDS)
    returned = recorder.watch(delivered(*sent, times=2), probe_timeout + RETRY_SLACK_SECONDS)
    assert returned, f"not every record came back: {[recorder.deliveries(m) for m in sent]}"


@pytest.mark.local_differs
def test_an_unknown_item_identifier_fails_the_whole_batch(
    sqs: Any, mapped: Queue, recorder: Recorder, probe_timeout: int
) -> None:
    """A batchItemFailures entry naming no record of the batch fails the whole batch.

    AWS: an itemIdentifier with a message id that is not in the batch makes Lambda treat the batch as a complete
    failure.

    Local cloud: an itemIdentifier naming no record of the batch is ignored and the batch deleted
    (ministack/services/lambda_svc.py:7692)

    Handling: process_input_queue names only message ids of its batch (unit-tested)
    """
    reply = {"batchItemFailures": [{"itemIdentifier": "not-a-message-of-this-batch"}]}

    sent = send(sqs, mapped, recorder.command(reply=reply), recorder.command(reply=reply))

    assert_every_record_returns(recorder, sent, probe_timeout)


@pytest.mark.local_differs
@pytest.mark.parametrize(
    "failure",
    [pytest.param({}, id="missing"), pytest.param({"itemIdentifier": ""}, id="empty")],
)
def test_a_missing_item_identifier_fails_the_whole_batch(
    sqs: Any, mapped: Queue, recorder: Recorder, probe_timeout: int, failure: dict
) -> None:
    """A batchItemFailures entry without an itemIdentifier fails the whole batch.

    AWS: a null or empty itemIdentifier, or one under another key name, makes Lambda treat the batch as a complete
    failure.

    Local cloud: an empty or missing itemIdentifier is skipped and the batch deleted
    (ministack/services/lambda_svc.py:7679)

    Handling: process_input_queue always sets itemIdentifier to a message id (unit-tested)
    """
    reply = {"batchItemFailures": [failure]}

    sent = send(sqs, mapped, recorder.command(reply=reply), recorder.command(reply=reply))

    assert_every_record_returns(recorder, sent, probe_timeout)


def test_an_exception_fails_the_whole_batch(sqs: Any, mapped: Queue, recorder: Recorder, probe_timeout: int) -> None:
    """A function error, even with ReportBatchItemFailures, returns every record of the batch.

    AWS: when the invocation fails, Lambda deletes nothing; the records become visible again after the visibility
    timeout.
    """
    sent = send(sqs, mapped, recorder.command(fail_batch=True), recorder.command(fail_batch=True))

    assert_every_record_returns(recorder, sent, probe_timeout)


def test_a_filter_on_body_deletes_messages_it_does_not_match(
    sqs: Any, source: Queue, mappings: Mappings, recorder: Recorder
) -> None:
    """Filter criteria on body: only matching messages reach the function; the others are deleted.

    AWS: records that match no filter are not sent to the function, and for SQS Lambda deletes them from the queue.
    """
    mappings.create(source, filter_pattern={"body": {"kind": ["keep"]}})

    kept, *_ = send(sqs, source, recorder.command(kind="keep"), recorder.command(kind="drop"), "not JSON at all")

    assert recorder.watch(delivered(kept), DELIVERY_SECONDS)
    assert queue_drained(sqs, source), "the messages the filter dropped are still on the queue"
    recorder.collect(wait_seconds=1)
    assert [record["messageId"] for record in recorder.records] == [kept]


def queue_drained(sqs: Any, queue: Queue) -> bool:
    """Whether the queue's counters reach zero within a minute (they are approximate on AWS)."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]

    def empty() -> bool:
        counts = sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=names)["Attributes"]
        return all(counts[name] == "0" for name in names)

    return bool(poll(empty, DELIVERY_SECONDS))


def test_a_record_has_the_documented_shape(sqs: Any, mapped: Queue, recorder: Recorder) -> None:
    """A record carries the SQS message: id, receipt handle, body, its MD5, attributes and the source queue.

    AWS: each record has messageId, receiptHandle, body, attributes (ApproximateReceiveCount, SentTimestamp,
    SenderId, ApproximateFirstReceiveTimestamp), messageAttributes, md5OfBody, eventSource "aws:sqs",
    eventSourceARN and awsRegion.
    """
    body = recorder.command()

    [message_id] = send(sqs, mapped, body)

    assert recorder.watch(delivered(message_id), DELIVERY_SECONDS)
    [record] = recorder.records
    assert set(record) >= {
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    }
    assert (record["messageId"], record["body"], record["md5OfBody"]) == (
        message_id,
        body,
        hashlib.md5(body.encode()).hexdigest(),
    )
    assert (record["eventSource"], record["eventSourceARN"]) == ("aws:sqs", mapped.arn)
    assert record["awsRegion"] == mapped.arn.split(":")[3]
    assert set(record["attributes"]) >= {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    }
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"] == {}


@pytest.mark.local_differs
def test_message_attributes_reach_the_record_as_aws_renders_them(sqs: Any, mapped: Queue, recorder: Recorder) -> None:
    """A message attribute reaches the record in camelCase, with its empty list values.

    AWS: messageAttributes map each name to {stringValue, stringListValues: [], binaryListValues: [], dataType}.

    Local cloud: messageAttributes carry only the keys sent (stringValue, dataType), without the empty
    stringListValues and binaryListValues (ministack/services/lambda_svc.py:7525)

    Handling: the pipeline sends no message attributes
    """
    response = sqs.send_message(
        QueueUrl=mapped.url,
        MessageBody=recorder.command(),
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "greeting"}},
    )

    assert recorder.watch(delivered(response["MessageId"]), DELIVERY_SECONDS)
    assert recorder.records[0]["messageAttributes"] == {
        "kind": {"stringValue": "greeting", "stringListValues": [], "binaryListValues": [], "dataType": "String"}
    }


def test_approximate_receive_count_grows_on_each_retry(
    sqs: Any, mapped: Queue, recorder: Recorder, probe_timeout: int
) -> None:
    """A record retried after a failure comes back with ApproximateReceiveCount one higher each time.

    AWS: the record's attributes.ApproximateReceiveCount is the SQS receive count, which each delivery increments.
    """
    [message_id] = send(sqs, mapped, recorder.command(fail_times=2))

    assert recorder.watch(delivered(message_id), DELIVERY_SECONDS)
    assert recorder.watch(delivered(message_id, times=3), 2 * (probe_timeout + RETRY_SLACK_SECONDS))
    assert recorder.deliveries(message_id) == [1, 2, 3]
