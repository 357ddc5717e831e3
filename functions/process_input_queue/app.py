"""Turn each record of an input-queue batch into a result on the output queue.

The event source mapping reports per-record failures (ReportBatchItemFailures),
so a bad record fails alone and reaches the input DLQ after maxReceiveCount
receives, while the rest of its batch is deleted. When every record fails the
invocation raises instead, so the failure shows in Lambda's error metrics.
"""

from __future__ import annotations

import functools
import json
import os
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

# The seed's test marker: a message containing it must fail processing.
POISON_MARKER = "MALFORMED_MASSAGE"

# SendMessageBatch takes at most 10 entries and 1 MiB of bodies per call.
MAX_ENTRIES_PER_BATCH = 10
MAX_BATCH_BYTES = 1_048_576


@functools.cache
def sqs_client() -> Any:
    """Created on first use, once per process, so tests can start moto beforehand."""
    return boto3.client("sqs")


@functools.cache
def output_queue_url() -> str:
    """The stack passes the queue's name, known before the queue exists; look its URL up once."""
    return sqs_client().get_queue_url(QueueName=os.environ["OUTPUT_QUEUE_NAME"])["QueueUrl"]


def log(level: str, message: str, **fields: Any) -> None:
    """One JSON object per line, so CloudWatch Logs Insights can query fields."""
    print(json.dumps({"level": level, "message": message, **fields}, default=str), flush=True)


class RecordError(ValueError):
    """A record this function can never process: retrying will not help."""


def build_result(record: dict) -> str:
    """The output message for one input record, as a JSON string."""
    try:
        body = json.loads(record["body"])
    except json.JSONDecodeError as err:
        raise RecordError(f"body is not JSON: {err.msg}") from None
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        raise RecordError("body is not a JSON object with a string 'message'")
    if POISON_MARKER in body["message"]:
        raise RecordError(f"message contains the {POISON_MARKER} marker")
    return json.dumps(
        {
            "id": body.get("id"),
            "message": body["message"],
            "type": body.get("type"),
            "inputMessageId": record["messageId"],
            "processedAt": datetime.now(UTC).isoformat(timespec="milliseconds"),
        },
        ensure_ascii=False,
    )


def chunk_entries(results: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """Split (messageId, body) pairs into SendMessageBatch-sized groups."""
    chunks: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    size = 0
    for message_id, body in results:
        body_size = len(body.encode("utf-8"))
        if current and (len(current) == MAX_ENTRIES_PER_BATCH or size + body_size > MAX_BATCH_BYTES):
            chunks.append(current)
            current, size = [], 0
        current.append((message_id, body))
        size += body_size
    if current:
        chunks.append(current)
    return chunks


def send_results(results: list[tuple[str, str]]) -> list[str]:
    """Send the results; return the input message ids whose result was not sent."""
    failed: list[str] = []
    for chunk in chunk_entries(results):
        entries = [{"Id": str(index), "MessageBody": body} for index, (_, body) in enumerate(chunk)]
        try:
            response = sqs_client().send_message_batch(QueueUrl=output_queue_url(), Entries=entries)
        except (ClientError, BotoCoreError) as err:
            log("ERROR", "sending results failed", error=str(err), records=len(chunk))
            failed.extend(message_id for message_id, _ in chunk)
            continue
        for entry in response.get("Failed", []):
            message_id = chunk[int(entry["Id"])][0]
            log("ERROR", "result rejected", messageId=message_id, code=entry.get("Code"), detail=entry.get("Message"))
            failed.append(message_id)
    return failed


class BatchFailed(RuntimeError):
    """Every record of the batch failed."""


def handler(event: dict, context: Any) -> dict:
    records = event.get("Records", [])
    results: list[tuple[str, str]] = []
    failed: list[str] = []
    for record in records:
        try:
            results.append((record["messageId"], build_result(record)))
        except RecordError as err:
            log("WARNING", "record failed", messageId=record["messageId"], reason=str(err))
            failed.append(record["messageId"])
    failed.extend(send_results(results))
    log("INFO", "batch processed", records=len(records), failed=len(failed))
    if records and len(failed) == len(records):
        raise BatchFailed(f"all {len(records)} records of the batch failed")
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}
