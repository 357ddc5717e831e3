"""Move the messages of a dead-letter queue back to its source queue, once their cause is fixed.

    python -m tools.redrive --from DLQ_URL --to QUEUE_URL [--dry-run]

Where SQS offers it (AWS), its own StartMessageMoveTask moves them, and this
tool follows that task until it ends or MOVE_TASK_DEADLINE_SECONDS pass.
Elsewhere (the local cloud) it moves them by hand: receive up to 10 from the
DLQ, send them to the source queue (with the message's first id in its
OriginalMessageId attribute) in as many calls as SendMessageBatch's 1 MiB limit
needs, and delete from the DLQ only what a send accepted, so a failure never
loses a message (at worst one is sent twice). A run moves at most the messages
waiting when it starts, so messages that fail again and return while it runs
are not chased in circles. Standard queues.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from tqdm import tqdm

# Error codes meaning "this endpoint has no StartMessageMoveTask": move by hand instead.
UNSUPPORTED_CODES = {"InvalidAction", "UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation"}
# Long enough to send and delete a batch; if this tool dies, the batch reappears in the DLQ.
HELD_SECONDS = 60
MOVE_TASK_POLL_SECONDS = 1.0
# How long to follow a move task before telling the user how to check on it instead
# (at 500 messages a second, the highest rate StartMessageMoveTask takes, ~450,000 messages).
MOVE_TASK_DEADLINE_SECONDS = 900.0
# ListMessageMoveTasks lists at most the 10 most recent tasks of a queue.
LISTED_TASKS = 10
# SendMessageBatch takes at most 10 entries, and refuses the whole call (BatchRequestTooLong)
# when its bodies and message attributes total more than 1 MiB.
MAX_BATCH_ENTRIES = 10
MAX_BATCH_BYTES = 1_048_576
SENDABLE_ATTRIBUTE_KEYS = ("DataType", "StringValue", "BinaryValue")
# A message sent again gets a new message id; this attribute keeps the first one
# (process_input_queue reports it as the result's inputMessageId).
ORIGINAL_MESSAGE_ID = "OriginalMessageId"

Progress = Callable[[int], None]


class RedriveError(Exception):
    """Something the user can act on; its message says what."""


def waiting(sqs: Any, url: str) -> int:
    """Messages visible in the queue now (SQS's approximate count)."""
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def queue_arn(sqs: Any, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def start_move_task(sqs: Any, dlq_arn: str, source_arn: str) -> tuple[str, set[Any]] | None:
    """The task's handle and the tasks listed before it started, or None when the endpoint has no move tasks."""
    try:
        earlier = {task_key(task) for task in listed_tasks(sqs, dlq_arn)}
        return sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=source_arn)["TaskHandle"], earlier
    except ClientError as err:
        if err.response["Error"]["Code"] in UNSUPPORTED_CODES:
            return None
        raise


def listed_tasks(sqs: Any, dlq_arn: str) -> list[dict[str, Any]]:
    return sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=LISTED_TASKS)["Results"]


def task_key(task: dict[str, Any]) -> Any:
    """What tells tasks apart once they ended: one task runs per queue at a time, each started at its own moment."""
    return task.get("StartedTimestamp")


def our_task(tasks: list[dict[str, Any]], handle: str, earlier: set[Any]) -> dict[str, Any] | None:
    """The task this run started, among the listed ones, or None while it is not listed yet.

    SQS lists a task's handle only while it runs. Once it ended, ours is the
    oldest task listed that was not listed before we started it: none can start
    on the queue while ours runs, so any other new one started after ours.
    """
    for task in tasks:
        if task.get("TaskHandle") == handle:
            return task
    new = [task for task in tasks if task_key(task) not in earlier]
    return min(new, key=lambda task: task_key(task) or 0) if new else None


def follow_move_task(sqs: Any, dlq_arn: str, handle: str, earlier: set[Any], progress: Progress) -> int:
    """Report the task's progress until it ends or the deadline passes; returns how many it moved."""
    moved = 0
    deadline = time.monotonic() + MOVE_TASK_DEADLINE_SECONDS
    while True:
        task = our_task(listed_tasks(sqs, dlq_arn), handle, earlier)
        if task is not None:
            now_moved = task.get("ApproximateNumberOfMessagesMoved", 0)
            progress(now_moved - moved)
            moved = now_moved
            if task["Status"] == "COMPLETED":
                return moved
            if task["Status"] in ("FAILED", "CANCELLED"):
                reason = task.get("FailureReason") or task["Status"].lower()
                raise RedriveError(f"the move task stopped after {moved} messages: {reason}")
        if time.monotonic() >= deadline:
            raise RedriveError(
                f"the move task had not ended after {MOVE_TASK_DEADLINE_SECONDS:.0f} s ({moved} messages moved) "
                f"and may still be running; check with: aws sqs list-message-move-tasks --source-arn {dlq_arn}"
            )
        time.sleep(MOVE_TASK_POLL_SECONDS)


def resent_attributes(message: dict[str, Any]) -> dict[str, Any]:
    """The message's attributes, plus the id it was first sent with: a resent message gets a new one."""
    attributes = {
        name: {key: value[key] for key in SENDABLE_ATTRIBUTE_KEYS if key in value}
        for name, value in message.get("MessageAttributes", {}).items()
    }
    attributes.setdefault(ORIGINAL_MESSAGE_ID, {"DataType": "String", "StringValue": message["MessageId"]})
    return attributes


def entry_size(entry: dict[str, Any]) -> int:
    """The bytes SQS counts toward a batch's limit: the body, and each attribute's name, type and value."""
    size = len(entry["MessageBody"].encode())
    for name, attribute in entry["MessageAttributes"].items():
        size += len(name.encode()) + len(attribute["DataType"].encode())
        if "StringValue" in attribute:
            size += len(attribute["StringValue"].encode())
        else:
            size += len(attribute.get("BinaryValue", b""))
    return size


def send_groups(entries: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The entries in order, split so no SendMessageBatch call has more than 10 of them or 1 MiB.

    An entry too big for any batch goes alone, so SQS refuses that call only.
    """
    groups: list[list[dict[str, Any]]] = []
    size = 0
    for entry in entries:
        entry_bytes = entry_size(entry)
        if not groups or len(groups[-1]) == MAX_BATCH_ENTRIES or size + entry_bytes > MAX_BATCH_BYTES:
            groups.append([])
            size = 0
        groups[-1].append(entry)
        size += entry_bytes
    return groups


def delete_sent(sqs: Any, dlq_url: str, sent: list[dict[str, Any]]) -> None:
    """Delete from the DLQ messages the source queue accepted."""
    if not sent:
        return
    deleted = sqs.delete_message_batch(
        QueueUrl=dlq_url,
        Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(sent)],
    )
    if deleted.get("Failed"):
        raise RedriveError(
            f"{len(deleted['Failed'])} messages were sent but stay in the DLQ too "
            f"({deleted['Failed'][0].get('Code')}); a next redrive would send them again"
        )


def move_by_hand(sqs: Any, dlq_url: str, source_url: str, limit: int, progress: Progress) -> int:
    """Receive up to 10, send them in calls within the batch limits, delete what each call sent; returns how many moved.

    A refusal does not stop the rest of the received messages (they are held
    anyway); the run ends once they are all tried, reporting what was refused.
    """
    moved = 0
    while moved < limit:
        messages = sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=min(MAX_BATCH_ENTRIES, limit - moved),
            VisibilityTimeout=HELD_SECONDS,
            WaitTimeSeconds=1,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return moved
        # Ids index the received messages, so each call's answer maps back to them.
        entries = [
            {"Id": str(i), "MessageBody": m["Body"], "MessageAttributes": resent_attributes(m)}
            for i, m in enumerate(messages)
        ]
        refused: list[dict[str, Any]] = []
        for group in send_groups(entries):
            response = sqs.send_message_batch(QueueUrl=source_url, Entries=group)
            sent = [messages[int(entry["Id"])] for entry in response.get("Successful", [])]
            delete_sent(sqs, dlq_url, sent)
            moved += len(sent)
            progress(len(sent))
            refused.extend(response.get("Failed", []))
        if refused:
            first = refused[0]
            raise RedriveError(
                f"moved {moved}, but the source queue refused {len(refused)} messages ({first.get('Code')}: "
                f"{first.get('Message')}); they stay in the DLQ"
            )
    return moved


def redrive(sqs: Any, dlq_url: str, source_url: str, dry_run: bool) -> str:
    """Move the DLQ's messages back (or only count them); returns the line to print."""
    count = waiting(sqs, dlq_url)
    if dry_run:
        return f"{count} messages wait in {dlq_url}; a redrive would move them to {source_url}"
    if count == 0:
        return f"nothing to redrive: {dlq_url} is empty"
    with tqdm(total=count, unit="msg", desc="redrive", file=sys.stderr) as bar:
        dlq_arn = queue_arn(sqs, dlq_url)
        task = start_move_task(sqs, dlq_arn, queue_arn(sqs, source_url))
        if task is not None:
            moved, how = follow_move_task(sqs, dlq_arn, *task, bar.update), "StartMessageMoveTask"
        else:
            moved, how = move_by_hand(sqs, dlq_url, source_url, count, bar.update), "receive, send, delete"
    return f"moved {moved} messages from {dlq_url} to {source_url} ({how})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="redrive", description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="dlq_url", required=True, help="URL of the dead-letter queue")
    parser.add_argument("--to", dest="source_url", required=True, help="URL of the queue to move them back to")
    parser.add_argument("--dry-run", action="store_true", help="only count the messages that would move")
    args = parser.parse_args(argv)
    try:
        print(redrive(boto3.client("sqs"), args.dlq_url, args.source_url, args.dry_run))
    except (RedriveError, ClientError, BotoCoreError) as err:
        print(f"error: {one_line(err)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; messages already sent and deleted stay moved, the rest stay in the DLQ", file=sys.stderr)
        return 130
    return 0


def one_line(err: Exception) -> str:
    if isinstance(err, ClientError):
        error = err.response["Error"]
        return f"{err.operation_name}: {error.get('Code')}: {error.get('Message')}"
    if isinstance(err, BotoCoreError):
        return f"could not reach SQS: {err}"
    return str(err)


if __name__ == "__main__":
    sys.exit(main())
