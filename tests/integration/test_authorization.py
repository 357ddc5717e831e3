"""Who may call the deployed API: the api_authorization it was deployed with (terraform output).

The rest of the suite calls the API as a permitted caller (tests/live/pipeline.py
signs or sends the key); these tests are the callers it must refuse. The
contract suite checks every mode on its own APIs, whatever the pipeline runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest
import requests

from tests.live.accounting import RESULT, Accountant, Ledger, Report
from tests.live.pipeline import WithApiKey, redrive_seconds
from tests.live.stack import Stack, api_id_and_stage

pytestmark = pytest.mark.integration

MISSING_TOKEN = {"message": "Missing Authentication Token"}
FORBIDDEN = {"message": "Forbidden"}
# Per mode: each kind of refused caller (what it adds to a request) and API Gateway's answer.
REFUSED: dict[str, list[tuple[str, requests.auth.AuthBase | None, dict[str, str]]]] = {
    "AWS_IAM": [("unsigned", None, MISSING_TOKEN)],
    "API_KEY": [("no key", None, FORBIDDEN), ("wrong key", WithApiKey("wrong-key-of-twenty-characters"), FORBIDDEN)],
}


def test_both_routes_enforce_the_deployed_authorization(stack: Stack) -> None:
    # GIVEN the deployed API's methods
    api_id, _ = api_id_and_stage(stack.api_url)
    apigateway = boto3.client("apigateway", region_name=stack.region)
    resources = {r["path"]: r["id"] for r in apigateway.get_resources(restApiId=api_id)["items"]}
    methods = [
        apigateway.get_method(restApiId=api_id, resourceId=resources[path], httpMethod=verb)
        for verb, path in (("POST", "/inbox"), ("GET", "/outbox"))
    ]
    # THEN both carry what terraform output says
    wanted = ("AWS_IAM" if stack.api_authorization == "AWS_IAM" else "NONE", stack.api_authorization == "API_KEY")
    assert [(m["authorizationType"], m.get("apiKeyRequired", False)) for m in methods] == [wanted, wanted]


def test_refused_callers_get_403_and_enqueue_nothing(
    stack: Stack, accountant: Accountant, keep_books: Callable[[Report], None], sqs: Any, sla: float
) -> None:
    if stack.api_authorization == "NONE":
        pytest.skip("deployed with api_authorization NONE: every caller is let in")
    # GIVEN each caller the deployed mode refuses, posting a tracked id and asking for its result
    ledger = Ledger("unauthorized")
    answers = []
    for kind, auth, _ in REFUSED[stack.api_authorization]:
        tracked_id = ledger.new_id()
        # WHEN it calls both routes
        posted = requests.post(stack.inbox_url, json={"id": tracked_id, "message": kind}, auth=auth, timeout=30)
        fetched = requests.get(stack.outbox_url, params={"id": tracked_id}, auth=auth, timeout=30)
        ledger.record(tracked_id, posted.status_code, posted.json(), RESULT)
        answers.append((kind, posted.status_code, posted.json(), fetched.status_code, fetched.json()))
    # THEN API Gateway refuses both with its own answer
    assert answers == [(kind, 403, body, 403, body) for kind, _, body in REFUSED[stack.api_authorization]]
    # AND, watched long enough for an enqueued one to end as a result or a dead letter, none appeared anywhere
    window = redrive_seconds(sqs, stack.input_queue_url) + sla
    keep_books(accountant.settle(ledger, 2 * window, "unauthorized requests", watch_until=time.monotonic() + window))
