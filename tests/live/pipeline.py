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

import boto3
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.live.stack import Stack

POLL_INTERVAL_SECONDS = 0.2


class SignedForExecuteApi(requests.auth.AuthBase):
    """Signs each request with SigV4 for execute-api, as `curl --aws-sigv4` does: what an AWS_IAM method wants.

    The signature covers the method, URL, body and host; headers requests adds later stay unsigned.
    """

    def __init__(self, credentials: Credentials, region: str) -> None:
        self.credentials = credentials
        self.region = region

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        signed = AWSRequest(method=request.method, url=request.url, data=body)
        SigV4Auth(self.credentials.get_frozen_credentials(), "execute-api", self.region).add_auth(signed)
        request.headers.update(
            {name: value for name, value in signed.headers.items() if name.lower() != "content-length"}
        )
        return request


class WithApiKey(requests.auth.AuthBase):
    """Sends the API key in x-api-key: what an apiKeyRequired method wants. Its repr hides the key."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["x-api-key"] = self.key
        return request

    def __repr__(self) -> str:
        return "WithApiKey(<hidden>)"


def caller_auth(stack: Stack) -> requests.auth.AuthBase | None:
    """What a permitted caller adds to each request for the stack's api_authorization; None for NONE.

    AWS_IAM signs with this process's own AWS credentials (the local target's, or yours on AWS).
    """
    if stack.api_authorization == "AWS_IAM":
        credentials = boto3.Session().get_credentials()
        assert credentials is not None, "api_authorization is AWS_IAM but no AWS credentials are configured"
        return SignedForExecuteApi(credentials, stack.region)
    if stack.api_authorization == "API_KEY":
        assert stack.api_key, "api_authorization is API_KEY but terraform output has no api_key"
        return WithApiKey(stack.api_key)
    return None


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
        """Requests on http carry what the stack's api_authorization asks of a permitted caller."""
        self.stack = stack
        self.http = http
        self.http.auth = caller_auth(stack)

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
