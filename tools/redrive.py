"""Move the messages of a dead-letter queue back to its source queue, once their cause is fixed.

    python -m tools.redrive --from DLQ_URL --to QUEUE_URL [--dry-run]

Where SQS offers it (AWS), its own StartMessageMoveTask moves them. Elsewhere
(the local cloud) this tool moves them in batches of up to 10: receive from
the DLQ, send to the source queue (with the message's first id in its
OriginalMessageId attribute), and delete from the DLQ only what the send
accepted, so a failure never loses a message (at worst one is sent twice).
A run moves at most the messages waiting when it starts, so messages that fail
again and return while it runs are not chased in circles. Standard queues.
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


def start_move_task(sqs: Any, dlq_arn: str, source_arn: str) -> str | None:
    """The task's handle, or None when the endpoint does not offer move tasks."""
    try:
        return sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=source_arn)["TaskHandle"]
    except ClientError as err:
        if err.response["Error"]["Code"] in UNSUPPORTED_CODES:
            return None
        raise


def follow_move_task(sqs: Any, dlq_arn: str, progress: Progress) -> int:
    """Report the running task's progress until it ends; returns how many it moved."""
    moved = 0
    while True:
        tasks = sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=1)["Results"]
        if not tasks:  # not listed yet
            time.sleep(MOVE_TASK_POLL_SECONDS)
            continue
        task = tasks[0]
        progress(task.get("ApproximateNumberOfMessagesMoved", 0) - moved)
        moved = task.get("ApproximateNumberOfMessagesMoved", 0)
        if task["Status"] == "COMPLETED":
            return moved
        if task["Status"] in ("FAILED", "CANCELLED"):
            reason = task.get("FailureReason") or task["Status"].lower()
            raise RedriveError(f"the move task stopped after {moved} messages: {reason}")
        time.sleep(MOVE_TASK_POLL_SECONDS)


def resent_attributes(message: dict[str, Any]) -> dict[str, Any]:
    """The message's attributes, plus the id it was first sent with: a resent message gets a new one."""
    attributes = {
        name: {key: value[key] for key in SENDABLE_ATTRIBUTE_KEYS if key in value}
        for name, value in message.get("MessageAttributes", {}).items()
    }
    attributes.setdefault(ORIGINAL_MESSAGE_ID, {"DataType": "String", "StringValue": message["MessageId"]})
    return attributes


def move_by_hand(sqs: Any, dlq_url: str, source_url: str, limit: int, progress: Progress) -> int:
    """Receive, send, then delete what was sent, in batches of up to 10; returns how many moved."""
    moved = 0
    while moved < limit:
        messages = sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=min(10, limit - moved),
            VisibilityTimeout=HELD_SECONDS,
            WaitTimeSeconds=1,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return moved
        response = sqs.send_message_batch(
            QueueUrl=source_url,
            Entries=[
                {"Id": str(i), "MessageBody": m["Body"], "MessageAttributes": resent_attributes(m)}
                for i, m in enumerate(messages)
            ],
        )
        sent = [messages[int(entry["Id"])] for entry in response.get("Successful", [])]
        if sent:
            deleted = sqs.delete_message_batch(
                QueueUrl=dlq_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(sent)],
            )
            if deleted.get("Failed"):
                raise RedriveError(
                    f"{len(deleted['Failed'])} messages were sent but stay in the DLQ too "
                    f"({deleted['Failed'][0].get('Code')}); a next redrive would send them again"
                )
        moved += len(sent)
        progress(len(sent))
        if response.get("Failed"):
            first = response["Failed"][0]
            raise RedriveError(
                f"the source queue refused {len(response['Failed'])} messages ({first.get('Code')}: "
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
        if start_move_task(sqs, dlq_arn, queue_arn(sqs, source_url)) is not None:
            moved, how = follow_move_task(sqs, dlq_arn, bar.update), "StartMessageMoveTask"
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
