"""SQS.

Each test makes its own queues (unique names, short visibility timeouts) and
deletes them; none touches the pipeline's queues.
"""

from __future__ import annotations

import hashlib
import struct
import threading
import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.contract.probe import Queue, Queues
from tests.live.pipeline import poll

pytestmark = pytest.mark.contract

MIB = 1_048_576
# SQS's counters are eventually consistent on AWS ("approximate"): allow them a minute.
COUNTS_SETTLE_SECONDS = 90.0
# A long poll longer than any answer we wait for here.
LONG_POLL_SECONDS = 20
# A long poll answers a message sent meanwhile within this (AWS: at once; the local cloud re-checks every 100 ms).
LONG_POLL_RESPONSE_SECONDS = 2


def error_code(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"]


def receive(
    sqs: Any, queue: Queue, wait_seconds: int = 0, max_messages: int = 10, **kwargs: Any
) -> list[dict[str, Any]]:
    return sqs.receive_message(
        QueueUrl=queue.url,
        MaxNumberOfMessages=max_messages,
        WaitTimeSeconds=wait_seconds,
        AttributeNames=["All"],
        **kwargs,
    ).get("Messages", [])


def receive_one(sqs: Any, queue: Queue, deadline_seconds: float = 30, **kwargs: Any) -> dict[str, Any] | None:
    """The first message a long poll finds before the deadline."""
    found = poll(lambda: receive(sqs, queue, wait_seconds=5, **kwargs), deadline_seconds)
    return found[0] if found else None


def dead_letter(
    sqs: Any, source: Queue, dlq: Queue, max_receive_count: int
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Receive source's one message maxReceiveCount times, then once more: what that last receive got, and the DLQ."""
    for count in range(max_receive_count):
        assert receive_one(sqs, source, VisibilityTimeout=0) is not None, f"gone after {count} receives"
    beyond = receive(sqs, source, wait_seconds=1, VisibilityTimeout=0)
    return beyond, receive_one(sqs, dlq, VisibilityTimeout=0)


def attributes_md5(attributes: dict[str, dict[str, Any]]) -> str:
    """MD5OfMessageAttributes as AWS documents it: per attribute, sorted by name, length-prefixed
    name, data type, a transport byte (1 string, 2 binary) and the value."""
    digest = hashlib.md5()
    for name in sorted(attributes):
        attribute = attributes[name]
        binary = attribute["DataType"].startswith("Binary")
        value = attribute["BinaryValue"] if binary else attribute["StringValue"].encode()
        for part in (name.encode(), attribute["DataType"].encode()):
            digest.update(struct.pack("!I", len(part)) + part)
        digest.update(b"\x02" if binary else b"\x01")
        digest.update(struct.pack("!I", len(value)) + value)
    return digest.hexdigest()


def test_a_message_received_more_than_max_receive_count_times_moves_to_the_dlq(queues: Queues, sqs: Any) -> None:
    """A message received maxReceiveCount times moves to the DLQ on the next receive, same id and body.

    AWS: when ReceiveCount exceeds maxReceiveCount the message moves to the deadLetterTargetArn queue; its
    DeadLetterQueueSourceArn attribute names the source queue.
    """
    dlq = queues.create(visibility_timeout=30)
    source = queues.create(visibility_timeout=30, dead_letter=dlq, max_receive_count=2)
    sent = sqs.send_message(QueueUrl=source.url, MessageBody="poison")

    beyond, dead = dead_letter(sqs, source, dlq, max_receive_count=2)

    assert beyond == []
    assert dead is not None, "not in the DLQ after maxReceiveCount receives"
    assert (dead["MessageId"], dead["Body"]) == (sent["MessageId"], "poison")
    assert dead["Attributes"]["DeadLetterQueueSourceArn"] == source.arn


def test_a_received_message_is_hidden_for_the_visibility_timeout_then_returns(queues: Queues, sqs: Any) -> None:
    """A received message is invisible for the visibility timeout, then delivered again with a higher receive count.

    AWS: ReceiveMessage's VisibilityTimeout hides the message from later receives; once it expires the message is
    visible again and ApproximateReceiveCount grows.
    """
    queue = queues.create(visibility_timeout=30)
    sqs.send_message(QueueUrl=queue.url, MessageBody="hide me")
    first = receive_one(sqs, queue, VisibilityTimeout=5)
    hidden_at = time.monotonic()
    assert first is not None

    assert receive(sqs, queue) == []
    again = receive_one(sqs, queue)

    assert again is not None
    assert again["MessageId"] == first["MessageId"]
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"
    # hidden for the timeout, not merely for the next receive (whole seconds on AWS's side, hence the slack)
    assert time.monotonic() - hidden_at >= 4


def test_change_message_visibility_to_zero_returns_a_message_at_once(queues: Queues, sqs: Any) -> None:
    """ChangeMessageVisibility with 0 makes an in-flight message receivable at once.

    AWS: ChangeMessageVisibility sets a new timeout from now for a message in flight; 0 releases it immediately.
    """
    queue = queues.create(visibility_timeout=30)
    sqs.send_message(QueueUrl=queue.url, MessageBody="release me")
    first = receive_one(sqs, queue)
    assert first is not None
    assert receive(sqs, queue) == []

    sqs.change_message_visibility(QueueUrl=queue.url, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=0)

    again = receive(sqs, queue, wait_seconds=1)
    assert [m["MessageId"] for m in again] == [first["MessageId"]]


def test_a_message_of_1_mib_is_accepted_and_one_byte_more_is_rejected(queues: Queues, sqs: Any) -> None:
    """A 1,048,576-byte body is accepted; 1,048,577 bytes are rejected with InvalidParameterValue.

    AWS: MaximumMessageSize defaults to 1 MiB (1,048,576 bytes); a larger message fails with InvalidParameterValue
    ("Message must be shorter than 1048576 bytes").
    """
    queue = queues.create(visibility_timeout=30)

    accepted = sqs.send_message(QueueUrl=queue.url, MessageBody="x" * MIB)
    code = error_code(sqs.send_message, QueueUrl=queue.url, MessageBody="x" * (MIB + 1))

    assert accepted["MD5OfMessageBody"] == hashlib.md5(b"x" * MIB).hexdigest()
    assert code == "InvalidParameterValue"


@pytest.mark.local_differs
def test_message_attributes_count_toward_the_size_limit(queues: Queues, sqs: Any) -> None:
    """A 1 MiB body with one message attribute is over the limit.

    AWS: the message size includes the body and every attribute's name, data type and value.

    Local cloud: only the body counts toward MaximumMessageSize; attributes are not added
    (ministack/services/sqs.py:648)

    Handling: the pipeline sends no message attributes; the API and the processor limit bodies only
    """
    queue = queues.create(visibility_timeout=30)

    code = error_code(
        sqs.send_message,
        QueueUrl=queue.url,
        MessageBody="x" * MIB,
        MessageAttributes={"trace": {"DataType": "String", "StringValue": "abc"}},
    )

    assert code == "InvalidParameterValue"


def batch(count: int, id_length: int = 4, body_bytes: int = 10) -> list[dict[str, str]]:
    return [{"Id": f"{n:0{id_length}d}", "MessageBody": "b" * body_bytes} for n in range(count)]


def test_a_batch_takes_at_most_10_entries(queues: Queues, sqs: Any) -> None:
    """SendMessageBatch takes 10 entries; 11 fail the whole request with TooManyEntriesInBatchRequest.

    AWS: a batch holds up to 10 entries; more fail with AWS.SimpleQueueService.TooManyEntriesInBatchRequest.
    """
    queue = queues.create(visibility_timeout=30)

    accepted = sqs.send_message_batch(QueueUrl=queue.url, Entries=batch(10))
    code = error_code(sqs.send_message_batch, QueueUrl=queue.url, Entries=batch(11))

    assert (len(accepted["Successful"]), accepted.get("Failed", [])) == (10, [])
    assert code == "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"


def test_batch_entry_ids_are_at_most_80_characters(queues: Queues, sqs: Any) -> None:
    """Batch entry ids of 80 characters are accepted; 81 fail the request with InvalidBatchEntryId.

    AWS: an entry id is up to 80 alphanumeric characters, hyphens and underscores; a longer one fails with
    AWS.SimpleQueueService.InvalidBatchEntryId.
    """
    queue = queues.create(visibility_timeout=30)

    accepted = sqs.send_message_batch(QueueUrl=queue.url, Entries=batch(2, id_length=80))
    code = error_code(sqs.send_message_batch, QueueUrl=queue.url, Entries=batch(2, id_length=81))

    assert [e["Id"] for e in accepted["Successful"]] == ["0" * 80, "0" * 79 + "1"]
    assert code == "AWS.SimpleQueueService.InvalidBatchEntryId"


def test_a_batch_takes_at_most_1_mib_of_bodies(queues: Queues, sqs: Any) -> None:
    """SendMessageBatch takes 1 MiB of bodies in all; more fail the whole request with BatchRequestTooLong.

    AWS: the sum of the batched messages' sizes may not exceed 1 MiB; a larger batch fails with
    AWS.SimpleQueueService.BatchRequestTooLong. (process_input_queue splits its results by this rule.)
    """
    queue = queues.create(visibility_timeout=30)

    accepted = sqs.send_message_batch(QueueUrl=queue.url, Entries=batch(4, body_bytes=MIB // 4))
    code = error_code(sqs.send_message_batch, QueueUrl=queue.url, Entries=batch(4, body_bytes=MIB // 4 + 1))

    assert len(accepted["Successful"]) == 4
    assert code == "AWS.SimpleQueueService.BatchRequestTooLong"


def test_message_attributes_come_back_with_their_md5s(queues: Queues, sqs: Any) -> None:
    """Message attributes come back as sent, with the MD5s of body and attributes AWS's algorithm gives.

    AWS: SendMessage answers MD5OfMessageBody and MD5OfMessageAttributes; ReceiveMessage returns the requested
    attributes and the same digests.
    """
    queue = queues.create(visibility_timeout=30)
    attributes = {
        "kind": {"DataType": "String", "StringValue": "greeting ünïcödé"},
        "count": {"DataType": "Number", "StringValue": "42"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xfe"},
    }

    sent = sqs.send_message(QueueUrl=queue.url, MessageBody="with attributes", MessageAttributes=attributes)
    received = receive_one(sqs, queue, MessageAttributeNames=["All"])

    assert received is not None
    assert sent["MD5OfMessageBody"] == received["MD5OfBody"] == hashlib.md5(b"with attributes").hexdigest()
    assert sent["MD5OfMessageAttributes"] == received["MD5OfMessageAttributes"] == attributes_md5(attributes)
    assert received["MessageAttributes"] == attributes


def test_a_long_poll_returns_as_soon_as_a_message_arrives(queues: Queues, sqs: Any) -> None:
    """A long poll waiting on an empty queue returns the message sent meanwhile, well before its wait ends.

    AWS: with WaitTimeSeconds, ReceiveMessage returns as soon as a message is available, at the latest when the
    wait ends.
    """
    queue = queues.create(visibility_timeout=30)
    answer: list[Any] = []

    def long_poll() -> None:
        answer.append(receive(sqs, queue, wait_seconds=LONG_POLL_SECONDS))
        answer.append(time.monotonic())

    poller = threading.Thread(target=long_poll)
    poller.start()

    time.sleep(1)  # the poll is waiting on an empty queue by now; this sleep only delays the send
    sent = sqs.send_message(QueueUrl=queue.url, MessageBody="wake up")
    sent_at = time.monotonic()
    poller.join()

    messages, returned_at = answer
    assert [m["MessageId"] for m in messages] == [sent["MessageId"]]
    assert returned_at - sent_at < LONG_POLL_RESPONSE_SECONDS


def test_approximate_counts_tell_visible_in_flight_and_delayed(queues: Queues, sqs: Any) -> None:
    """ApproximateNumberOfMessages, ...NotVisible and ...Delayed count visible, in-flight and delayed messages.

    AWS: the three attributes count messages available, in flight (received, not deleted) and delayed; they are
    approximate and settle within about a minute.
    """
    queue = queues.create(visibility_timeout=60)
    sqs.send_message_batch(QueueUrl=queue.url, Entries=batch(2))
    assert poll(lambda: receive(sqs, queue, wait_seconds=5, max_messages=1), 30)
    sqs.send_message(QueueUrl=queue.url, MessageBody="later", DelaySeconds=300)
    wanted = {"ApproximateNumberOfMessages": "1", "ApproximateNumberOfMessagesNotVisible": "1"}
    wanted["ApproximateNumberOfMessagesDelayed"] = "1"

    def counts() -> dict[str, str]:
        return sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=list(wanted))["Attributes"]

    assert poll(lambda: counts() == wanted, COUNTS_SETTLE_SECONDS), f"counts {counts()}, expected {wanted}"


@pytest.mark.local_differs
def test_start_message_move_task_moves_dead_letters_back_to_their_source(queues: Queues, sqs: Any) -> None:
    """StartMessageMoveTask on a DLQ moves its messages back to the queue they came from.

    AWS: StartMessageMoveTask with only SourceArn (a DLQ) redrives each message to its original source queue;
    ListMessageMoveTasks reports the task.

    Local cloud: StartMessageMoveTask is not implemented: InvalidAction (ministack/services/sqs.py:1187, no handler)

    Handling: the pipeline never calls it; on the local cloud move dead letters back by receive + send
    """
    dlq = queues.create(visibility_timeout=30)
    source = queues.create(visibility_timeout=30, dead_letter=dlq, max_receive_count=1)
    body = f"redrive {uuid.uuid4().hex}"
    sqs.send_message(QueueUrl=source.url, MessageBody=body)
    assert dead_letter(sqs, source, dlq, max_receive_count=1)[1] is not None

    task = sqs.start_message_move_task(SourceArn=dlq.arn)

    back = receive_one(sqs, source, deadline_seconds=COUNTS_SETTLE_SECONDS)
    assert task["TaskHandle"]
    assert back is not None
    assert back["Body"] == body
    assert sqs.list_message_move_tasks(SourceArn=dlq.arn)["Results"]


def test_a_missing_queue_fails_with_the_non_existent_queue_code(queues: Queues, sqs: Any) -> None:
    """A call on a queue that does not exist fails with AWS.SimpleQueueService.NonExistentQueue.

    AWS: SQS speaks JSON with the awsQueryCompatible trait, so SDKs still see the legacy error codes (the local
    layer's stale-state check looks for this one).
    """
    missing_url = f"{queues.create(visibility_timeout=30).url}-missing"

    code = error_code(sqs.get_queue_attributes, QueueUrl=missing_url, AttributeNames=["QueueArn"])

    assert code == "AWS.SimpleQueueService.NonExistentQueue"
