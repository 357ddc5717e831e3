"""What the contract tests make and watch: the probe stack, queues, event source mappings, recorders.

Every queue and mapping a test creates has a unique name under the probe's
prefix (the only queues the probe's role may touch) and is deleted, with
nothing else, when the test ends.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from tests.conftest import REPO_ROOT
from tests.live.pipeline import poll
from tests.live.stack import read_outputs

PROBE_ROOT = REPO_ROOT / "tests" / "contract" / "stack"
# How long AWS may take to turn a new mapping on, or to let go of a deleted one.
MAPPING_STATE_SECONDS = 120.0


@dataclass(frozen=True)
class ProbeStack:
    probe_function_name: str
    probe_function_arn: str
    missing_dependency_function_name: str
    json_logs_function_name: str
    probe_api_url: str
    test_queue_prefix: str
    region: str
    # Per guarded mode (AWS_IAM, API_KEY): api_url, inbox_queue_url, invoke_policy_arn.
    guarded_apis: dict[str, dict[str, str | None]]
    guarded_api_key: str = field(repr=False)


def read_probe_stack() -> ProbeStack | None:
    return read_outputs(ProbeStack, PROBE_ROOT)


@dataclass(frozen=True)
class Queue:
    url: str
    arn: str


@dataclass
class Queues:
    """Creates queues with unique names; delete_all removes exactly those."""

    sqs: Any
    prefix: str
    created: list[str] = field(default_factory=list)

    def create(
        self, visibility_timeout: int, dead_letter: Queue | None = None, max_receive_count: int = 1, **attributes: str
    ) -> Queue:
        settings = {"VisibilityTimeout": str(visibility_timeout), **attributes}
        if dead_letter is not None:
            settings["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": dead_letter.arn, "maxReceiveCount": max_receive_count}
            )
        url = self.sqs.create_queue(QueueName=f"{self.prefix}{uuid.uuid4().hex[:20]}", Attributes=settings)["QueueUrl"]
        self.created.append(url)
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return Queue(url=url, arn=arn)

    def delete_all(self) -> None:
        for url in reversed(self.created):
            with contextlib.suppress(self.sqs.exceptions.QueueDoesNotExist):
                self.sqs.delete_queue(QueueUrl=url)


@dataclass
class Mappings:
    """Event source mappings from test queues to the probe; delete_all removes exactly those."""

    lambda_client: Any
    function_name: str
    created: list[str] = field(default_factory=list)

    def create(
        self, queue: Queue, batch_size: int = 10, window_seconds: int = 0, filter_pattern: dict | None = None
    ) -> str:
        """A mapping reporting batch item failures, once it is enabled."""
        options: dict[str, Any] = {}
        if filter_pattern is not None:
            options["FilterCriteria"] = {"Filters": [{"Pattern": json.dumps(filter_pattern)}]}
        mapping_id = self.lambda_client.create_event_source_mapping(
            EventSourceArn=queue.arn,
            FunctionName=self.function_name,
            BatchSize=batch_size,
            MaximumBatchingWindowInSeconds=window_seconds,
            FunctionResponseTypes=["ReportBatchItemFailures"],
            **options,
        )["UUID"]
        self.created.append(mapping_id)
        state = poll(
            lambda: self.lambda_client.get_event_source_mapping(UUID=mapping_id)["State"] == "Enabled",
            MAPPING_STATE_SECONDS,
        )
        assert state, f"mapping {mapping_id} not enabled within {MAPPING_STATE_SECONDS} s"
        return mapping_id

    def delete_all(self) -> None:
        for mapping_id in self.created:
            poll(lambda mapping_id=mapping_id: self.try_delete(mapping_id), MAPPING_STATE_SECONDS)

    def try_delete(self, mapping_id: str) -> bool:
        """True once the mapping is deleted or going; AWS refuses while it is still being created or updated."""
        try:
            self.lambda_client.delete_event_source_mapping(UUID=mapping_id)
        except ClientError as err:
            code = err.response["Error"]["Code"]
            if code == "ResourceNotFoundException":
                return True
            if code == "ResourceInUseException":
                return False
            raise
        return True


class Recorder:
    """A queue the probe reports to: one message per invocation, holding the records it got."""

    def __init__(self, sqs: Any, queue: Queue) -> None:
        self.sqs = sqs
        self.queue = queue
        self.reports: list[dict[str, Any]] = []

    def command(self, **fields: Any) -> str:
        """A record body telling the probe to report here, and how to answer."""
        return json.dumps({"record_to": self.queue.url, **fields})

    @property
    def records(self) -> list[dict[str, Any]]:
        return [record for report in self.reports for record in report["records"]]

    def deliveries(self, message_id: str) -> list[int]:
        """The ApproximateReceiveCount of each delivery of a message so far."""
        return [
            int(record["attributes"]["ApproximateReceiveCount"])
            for record in self.records
            if record["messageId"] == message_id
        ]

    def watch(self, until: Callable[[Recorder], bool], deadline_seconds: float) -> bool:
        """Take reports in until the condition holds (True) or the deadline passes (False)."""
        deadline = time.monotonic() + deadline_seconds
        while not until(self):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self.collect(wait_seconds=max(1, min(5, int(remaining))))
        return True

    def collect(self, wait_seconds: int) -> None:
        """One long poll: take in the reports that have arrived."""
        messages = self.sqs.receive_message(
            QueueUrl=self.queue.url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds
        ).get("Messages", [])
        for message in messages:
            self.reports.append(json.loads(message["Body"]))
            self.sqs.delete_message(QueueUrl=self.queue.url, ReceiptHandle=message["ReceiptHandle"])
