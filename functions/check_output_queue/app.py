"""GET /outbox: take one result off the output queue.

Plain GET returns any result. GET /outbox?id=<id> returns only the result whose
id matches, so concurrent clients never take each other's results: it scans a
few receives, deletes the match, and makes every other message it saw visible
again at once.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from typing import Any

import boto3

# At most this many receives of 10 per filtered request, so one GET stays well
# inside the function timeout even on a deep queue.
MAX_SCAN_RECEIVES = 10
# How long scanned messages stay hidden if this function dies before releasing
# them; short, because they belong to other clients.
SCAN_VISIBILITY_SECONDS = 10
EMPTY = {"message": "no message in the output queue"}
LOGGER = logging.getLogger(__name__)


@functools.cache
def sqs_client() -> Any:
    """Created on first use, once per process, so tests can start moto beforehand."""
    return boto3.client("sqs")


@functools.cache
def output_queue_url() -> str:
    """The stack passes the queue's name, known before the queue exists; look its URL up once."""
    return sqs_client().get_queue_url(QueueName=os.environ["OUTPUT_QUEUE_NAME"])["QueueUrl"]


def respond(status: int, body: dict | str) -> dict:
    """An API Gateway proxy response with a JSON body."""
    text = body if isinstance(body, str) else json.dumps(body)
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": text}


def result_id(message: dict) -> str | None:
    """The id a result carries, or None when its body is not a result."""
    try:
        body = json.loads(message["Body"])
    except json.JSONDecodeError:
        return None
    return body.get("id") if isinstance(body, dict) else None


def release(queue_url: str, messages: list[dict]) -> None:
    """Make messages visible to other consumers again right away."""
    for start in range(0, len(messages), 10):
        entries = [
            {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"], "VisibilityTimeout": 0}
            for index, message in enumerate(messages[start : start + 10])
        ]
        sqs_client().change_message_visibility_batch(QueueUrl=queue_url, Entries=entries)


def take_any(queue_url: str, wait_seconds: int) -> dict | None:
    """Plain GET: any one result; its visibility timeout brings it back if this function dies before deleting it."""
    response = sqs_client().receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=wait_seconds)
    messages = response.get("Messages", [])
    return messages[0] if messages else None


def take_matching(queue_url: str, wanted: str, wait_seconds: int) -> dict | None:
    """GET ?id=: hold what the scan sees only briefly, and always release it, so other clients' results stay theirs."""
    held: list[dict] = []
    match = None
    try:
        for attempt in range(MAX_SCAN_RECEIVES):
            response = sqs_client().receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=10,
                VisibilityTimeout=SCAN_VISIBILITY_SECONDS,
                WaitTimeSeconds=wait_seconds if attempt == 0 else 0,
            )
            messages = response.get("Messages", [])
            for message in messages:
                if match is None and result_id(message) == wanted:
                    match = message
                else:
                    held.append(message)
            if match is not None or not messages:
                break
    finally:
        release(queue_url, held)
    return match


def handler(event: dict, context: Any) -> dict:
    """Every failure, bad configuration included, is our JSON 500, never a crash the proxy turns into a bare 502."""
    wanted = (event.get("queryStringParameters") or {}).get("id")
    if wanted == "":
        return respond(400, {"message": "id must not be empty"})
    try:
        wait_seconds = int(os.environ.get("OUTBOX_WAIT_SECONDS", "1"))
        queue_url = output_queue_url()
        if wanted is None:
            message = take_any(queue_url, wait_seconds)
        else:
            message = take_matching(queue_url, wanted, wait_seconds)
        if message is None:
            return respond(404, EMPTY)
        sqs_client().delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    except Exception:
        # The client gets JSON; the log gets one record with the error's type, message and stack trace.
        LOGGER.exception("reading the output queue failed")
        return respond(500, {"message": "could not read the output queue, retry later"})
    return respond(200, message["Body"])
