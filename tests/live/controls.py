"""Changing a deployed stack for a fault, and always putting it back; reading what its functions logged.

Every change goes through the public AWS APIs, so the fault suite runs on
either target, and each context manager restores exactly what it changed,
failure or not. The suite's closing clean-plan check proves nothing drifted.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tests.live.pipeline import poll

# Disabling or re-enabling a mapping, or updating a function, settles within seconds on AWS, at once locally.
SETTLE_SECONDS = 120


@contextmanager
def consumer_paused(lambda_client: Any, function_name: str) -> Iterator[None]:
    """Messages wait in the input queue while the event source mapping is disabled, so they form full batches."""
    (mapping,) = lambda_client.list_event_source_mappings(FunctionName=function_name)["EventSourceMappings"]
    set_mapping(lambda_client, mapping["UUID"], enabled=False)
    try:
        yield
    finally:
        set_mapping(lambda_client, mapping["UUID"], enabled=True)


def set_mapping(lambda_client: Any, uuid: str, enabled: bool) -> None:
    lambda_client.update_event_source_mapping(UUID=uuid, Enabled=enabled)
    wanted = "Enabled" if enabled else "Disabled"
    settled = poll(lambda: lambda_client.get_event_source_mapping(UUID=uuid)["State"] == wanted, SETTLE_SECONDS)
    assert settled, f"event source mapping {uuid} not {wanted} within {SETTLE_SECONDS} s"


@contextmanager
def function_environment(lambda_client: Any, function_name: str, **overrides: str) -> Iterator[None]:
    """The function runs with some environment variables changed (a new revision), then with its own again."""
    original = lambda_client.get_function_configuration(FunctionName=function_name)["Environment"]["Variables"]
    update_environment(lambda_client, function_name, {**original, **overrides})
    try:
        yield
    finally:
        update_environment(lambda_client, function_name, original)


def update_environment(lambda_client: Any, function_name: str, variables: dict[str, str]) -> None:
    lambda_client.update_function_configuration(FunctionName=function_name, Environment={"Variables": variables})
    lambda_client.get_waiter("function_updated_v2").wait(
        FunctionName=function_name, WaiterConfig={"Delay": 1, "MaxAttempts": SETTLE_SECONDS}
    )


def execution_role(iam: Any, lambda_client: Any, function_name: str) -> tuple[str, str]:
    """The function's role name and the name of its one inline policy."""
    role_name = lambda_client.get_function_configuration(FunctionName=function_name)["Role"].rsplit("/", 1)[1]
    (policy_name,) = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    return role_name, policy_name


@contextmanager
def policy_without(iam: Any, role_name: str, policy_name: str, dropped: Callable[[str], bool]) -> Iterator[None]:
    """The role's inline policy loses every action for which dropped(action) holds, then gets its document back."""
    original = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
    narrowed = json.loads(json.dumps(original))
    for statement in narrowed["Statement"]:
        actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        statement["Action"] = [action for action in actions if not dropped(action)]
    narrowed["Statement"] = [s for s in narrowed["Statement"] if s["Action"]]
    iam.put_role_policy(RoleName=role_name, PolicyName=policy_name, PolicyDocument=json.dumps(narrowed))
    try:
        yield
    finally:
        iam.put_role_policy(RoleName=role_name, PolicyName=policy_name, PolicyDocument=json.dumps(original))


def log_lines(logs: Any, function_name: str, since_ms: int, stream: str | None = None) -> list[dict[str, Any]]:
    """Every log event of the function since since_ms, oldest first, with its JSON fields when it is JSON."""
    kwargs: dict[str, Any] = {"logGroupName": f"/aws/lambda/{function_name}", "startTime": since_ms}
    if stream is not None:
        kwargs["logStreamNames"] = [stream]
    events = [e for page in logs.get_paginator("filter_log_events").paginate(**kwargs) for e in page["events"]]
    return [
        dict(as_json(e["message"]), raw=e["message"], stream=e["logStreamName"])
        for e in sorted(events, key=lambda e: e["timestamp"])
    ]


def as_json(message: str) -> dict[str, Any]:
    try:
        fields = json.loads(message)
    except ValueError:
        return {}
    return fields if isinstance(fields, dict) else {}


def await_log(
    logs: Any,
    function_name: str,
    since_ms: int,
    wanted: Callable[[list[dict[str, Any]]], Any],
    deadline_seconds: float,
    stream: str | None = None,
) -> Any:
    """Poll the function's logs until wanted(lines) is truthy (logs arrive late on AWS); returns it or None."""
    return poll(lambda: wanted(log_lines(logs, function_name, since_ms, stream)), deadline_seconds)


def now_ms() -> int:
    return int(time.time() * 1000)
