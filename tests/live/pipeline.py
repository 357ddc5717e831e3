"""Talking to the pipeline as a client would, and reading its queues.

Every helper polls with a deadline; none sleeps a fixed time hoping for the best.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from tests.live.stack import Stack

POLL_INTERVAL_SECONDS = 0.2


def unique_id(prefix: str = "it") -> str:
    """Ids are unique per test, so parallel tests never take each other's results."""
    return f"{prefix}-{uuid.uuid4().hex}"


@dataclass
class Posted:
    id: str
    body: dict[str, Any]
    status: int
    response: dict[str, Any]

    @property
    def message_id(self) -> str:
        return self.response["messageId"]


class Pipeline:
    def __init__(self, stack: Stack, http: requests.Session) -> None:
        self.stack = stack
        self.http = http

    def post(
        self, body: dict[str, Any] | str, content_type: str = "application/json", timeout: float = 30
    ) -> requests.Response:
        data = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
        return self.http.post(
            self.stack.inbox_url, data=data.encode("utf-8"), headers={"Content-Type": content_type}, timeout=timeout
        )

    def send(self, message: str, type_: str | None = "test", **extra: Any) -> Posted:
        """POST a message with a fresh id; the caller asserts on the answer."""
        body: dict[str, Any] = {"id": unique_id(), "message": message, **extra}
        if type_ is not None:
            body["type"] = type_
        response = self.post(body)
        try:
            payload = response.json()
        except ValueError:
            payload = {"raw": response.text}
        return Posted(id=body["id"], body=body, status=response.status_code, response=payload)

    def take_result(self, result_id: str) -> dict[str, Any] | None:
        """One GET /outbox?id=...: the result, or None on 404."""
        response = self.http.get(self.stack.outbox_url, params={"id": result_id}, timeout=30)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()

    def await_result(self, result_id: str, deadline_seconds: float) -> dict[str, Any] | None:
        return poll(lambda: self.take_result(result_id), deadline_seconds)


def poll(attempt: Callable[[], Any], deadline_seconds: float) -> Any:
    """Call attempt until it returns something truthy or the deadline passes."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        outcome = attempt()
        if outcome:
            return outcome
        if time.monotonic() >= deadline:
            return None
        time.sleep(POLL_INTERVAL_SECONDS)


def take_from_queue(
    sqs: Any, queue_url: str, matches: Callable[[dict[str, Any]], bool], deadline_seconds: float
) -> dict[str, Any] | None:
    """Find, delete and return the first message matching; release every other one at once."""

    def attempt() -> dict[str, Any] | None:
        response = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=5,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        found, others = None, []
        for message in response.get("Messages", []):
            if found is None and matches(message):
                found = message
            else:
                others.append(message)
        if others:
            sqs.change_message_visibility_batch(
                QueueUrl=queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                    for i, m in enumerate(others)
                ],
            )
        if found is not None:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=found["ReceiptHandle"])
        return found

    return poll(attempt, deadline_seconds)


def message_id_field(message: dict[str, Any]) -> str | None:
    """The "id" a result or an input message carries in its JSON body."""
    try:
        body = json.loads(message["Body"])
    except ValueError:
        return None
    return body.get("id") if isinstance(body, dict) else None


def release(sqs: Any, queue_url: str, messages: list[dict[str, Any]]) -> None:
    for start in range(0, len(messages), 10):
        sqs.change_message_visibility_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                for i, m in enumerate(messages[start : start + 10])
            ],
        )


def body_has_id(result_id: str) -> Callable[[dict[str, Any]], bool]:
    return lambda message: message_id_field(message) == result_id


def redrive_seconds(sqs: Any, queue_url: str) -> float:
    """Worst case for a failing message to reach the DLQ: one visibility timeout per receive."""
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    max_receives = json.loads(attributes["RedrivePolicy"])["maxReceiveCount"]
    return float(attributes["VisibilityTimeout"]) * int(max_receives)
