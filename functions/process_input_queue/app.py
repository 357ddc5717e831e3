"""Turn each record of an input-queue batch into a result on the output queue.

The event source mapping reports per-record failures (ReportBatchItemFailures),
so a bad record fails alone and reaches the input DLQ after maxReceiveCount
receives, while the rest of its batch is deleted. When every record fails the
invocation raises instead, so the failure shows in Lambda's error metrics.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

# The seed's test marker: a message containing it must fail processing. The
# POISON_MARKER environment variable overrides it; empty turns the rule off
# (e.g. to redrive the messages it rejected).
DEFAULT_POISON_MARKER = "MALFORMED_MASSAGE"

# Characters JSON may carry escaped but SQS refuses in a message body: lone
# surrogates, U+FFFE and U+FFFF. Control characters need nothing: json.dumps
# escapes them already.
SQS_REFUSED_CHARACTERS = re.compile(r"[\ud800-\udfff\ufffe\uffff]")

ORIGINAL_MESSAGE_ID = "OriginalMessageId"

LOGGER = logging.getLogger(__name__)

# Fields copied into the result, optional strings in the API's schema. A
# message sent to the queue without the API can hold anything there.
OPTIONAL_STRING_FIELDS = ("id", "type")

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
    """One log record with its fields; the function's JSON log format makes it one JSON object with the request id.

    The runtime's level filter (ApplicationLogLevel) decides what reaches CloudWatch Logs.
    """
    LOGGER.log(logging.getLevelName(level), message, extra=fields)


class RecordError(ValueError):
    """A record this function can never process: retrying will not help."""


def poison_marker() -> str:
    """Read per call, not at import, so the environment set when a record is judged decides (tests set it late)."""
    return os.environ.get("POISON_MARKER", DEFAULT_POISON_MARKER)


def parse_body(text: str) -> dict:
    """The record's JSON object; anything else fails this record alone, never its batch.

    Integers are read as Decimal: Python's int refuses more than 4300 digits,
    and a long number in a field this function ignores must not make a message
    undeliverable. Nesting deeper than the interpreter's recursion limit is
    refused as unreadable. An id or type that is neither a string nor null
    fails here, as a RecordError: copied into the result, a Decimal would make
    json.dumps raise TypeError and fail the whole batch.
    """
    try:
        body = json.loads(text, parse_int=Decimal)
    except json.JSONDecodeError as err:
        raise RecordError(f"body is not JSON: {err.msg}") from None
    except RecursionError:
        raise RecordError("body nests too deeply to read") from None
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        raise RecordError("body is not a JSON object with a string 'message'")
    for field in OPTIONAL_STRING_FIELDS:
        if body.get(field) is not None and not isinstance(body[field], str):
            raise RecordError(f"'{field}' is not a string (the API's schema allows only a string)")
    return body


def escape_refused_characters(text: str) -> str:
    """JSON text SQS accepts: each refused character becomes its \\uXXXX escape, which decodes to the same string."""
    return SQS_REFUSED_CHARACTERS.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def input_message_id(record: dict) -> str:
    """The message id POST /inbox returned. A message redriven from the DLQ by sending it again (make redrive)
    has a new one, and carries the first in its OriginalMessageId attribute."""
    original = (record.get("messageAttributes") or {}).get(ORIGINAL_MESSAGE_ID) or {}
    return original.get("stringValue") or record["messageId"]


def build_result(record: dict) -> str:
    """The output message for one input record, as a JSON string."""
    body = parse_body(record["body"])
    marker = poison_marker()
    if marker and marker in body["message"]:
        raise RecordError(f"message contains the {marker} marker")
    text = json.dumps(
        {
            "id": body.get("id"),
            "message": body["message"],
            "type": body.get("type"),
            "inputMessageId": input_message_id(record),
            "processedAt": datetime.now(UTC).isoformat(timespec="milliseconds"),
        },
        ensure_ascii=False,
    )
    return escape_refused_characters(text)


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
    """Report only the failed records, so the event source mapping deletes the rest of the batch."""
    records = event.get("Records", [])
    # Which records an invocation held, even if it never finishes (timeout, crash).
    log("INFO", "batch received", messageIds=[record["messageId"] for record in records])
    results: list[tuple[str, str]] = []
    failed: list[str] = []
    for record in records:
        try:
            results.append((record["messageId"], build_result(record)))
        except RecordError as err:
            log("WARNING", "record failed", messageId=record["messageId"], reason=str(err))
            failed.append(record["messageId"])
    failed.extend(send_results(results))
    log("INFO", "batch processed", records=len(records), failed=len(failed), failedIds=failed)
    if records and len(failed) == len(records):
        raise BatchFailed(f"all {len(records)} records of the batch failed")
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}
