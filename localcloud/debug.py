"""make debug: the settings a paused debugger needs, lifted for the session and put back after it.

A function paused at a breakpoint must not be cut off: MiniStack's proxy gives
up after the function's Timeout, and an SQS source redelivers the batch after
the queue's visibility timeout. For the session, the function's Timeout is
raised to Lambda's maximum and each SQS queue feeding it gets 6 x that (AWS's
guidance for a queue behind a function). The original values are written to a
file before anything changes, so a session that dies (kill -9, power) is put
right by the next `make debug` or `make watch`, and the next plan is clean.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from localcloud.environments import install_once
from localcloud.settings import Settings

DEBUG_REQUIREMENTS = Path(__file__).resolve().parent / "requirements-debug.txt"
MAX_TIMEOUT_SECONDS = 900  # Lambda's maximum
VISIBILITY_FACTOR = 6
MAX_VISIBILITY_SECONDS = 43_200  # SQS's maximum


@dataclass
class Lifted:
    """What a session changed, with the values to put back."""

    function: str
    timeout_seconds: int
    queue_visibility_seconds: dict[str, int] = field(default_factory=dict)  # queue URL -> seconds


def ensure_debugpy(settings: Settings) -> Path:
    """The folder holding the pinned debugpy, installed for the runtime's Python on first use."""
    folder = settings.home / f"debugpy-{settings.runtime_version}"
    install_once(settings, folder, DEBUG_REQUIREMENTS, "debugpy", as_venv=False)
    return folder


def restore_file(settings: Settings) -> Path:
    return settings.instance_dir / "debug-restore.json"


def source_queues(lam: Any, sqs: Any, function: str) -> list[str]:
    """URLs of the SQS queues whose event source mappings invoke the function."""
    urls = []
    for page in lam.get_paginator("list_event_source_mappings").paginate(FunctionName=function):
        for mapping in page["EventSourceMappings"]:
            arn = mapping.get("EventSourceArn", "")
            if arn.startswith("arn:aws:sqs:"):
                _, _, _, _, account, queue = arn.split(":", 5)
                urls.append(sqs.get_queue_url(QueueName=queue, QueueOwnerAWSAccountId=account)["QueueUrl"])
    return urls


def set_timeout(lam: Any, function: str, seconds: int) -> None:
    lam.update_function_configuration(FunctionName=function, Timeout=seconds)
    lam.get_waiter("function_updated_v2").wait(FunctionName=function)


def lift(lam: Any, sqs: Any, function: str, file: Path) -> Lifted:
    """Raise the function's timeout and its queues' visibility timeouts; the originals go to file first."""
    lifted = Lifted(function, int(lam.get_function_configuration(FunctionName=function)["Timeout"]))
    for url in source_queues(lam, sqs, function):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
        lifted.queue_visibility_seconds[url] = int(attributes["VisibilityTimeout"])
    file.write_text(json.dumps(asdict(lifted), indent=1))
    set_timeout(lam, function, MAX_TIMEOUT_SECONDS)
    visibility = min(VISIBILITY_FACTOR * MAX_TIMEOUT_SECONDS, MAX_VISIBILITY_SECONDS)
    for url in lifted.queue_visibility_seconds:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": str(visibility)})
    return lifted


def restore(lam: Any, sqs: Any, file: Path) -> Lifted | None:
    """Put back what a session lifted (this one's or one that died); None when nothing was lifted."""
    try:
        lifted = Lifted(**json.loads(file.read_text()))
    except FileNotFoundError:
        return None
    for url, seconds in lifted.queue_visibility_seconds.items():
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": str(seconds)})
    set_timeout(lam, lifted.function, lifted.timeout_seconds)
    file.unlink()
    return lifted


def describe(lifted: Lifted) -> str:
    queues = "".join(
        f", {url.rsplit('/', 1)[-1]} visibility timeout {seconds} s"
        for url, seconds in lifted.queue_visibility_seconds.items()
    )
    return f"{lifted.function} timeout {lifted.timeout_seconds} s{queues}"
