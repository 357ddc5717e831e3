"""The contract suite: AWS behaviours the pipeline relies on, checked against the deployed target.

Each test states one behaviour in its docstring (tests/contract/statement.py):
what is checked, what AWS documents, and, where the local cloud differs, how
and how we live with it. Such a test carries the `local_differs` mark, which
on the local target only becomes a strict expected failure naming the
difference: the day the local cloud behaves as AWS, the suite says so.
docs/fidelity.md is generated from these statements (make fidelity).

The probe function, its twin with a missing dependency and a REST API in front
of it come from a small Terraform root (tests/contract/stack), not from boto3
in a fixture: the probe's name is fixed (the local cloud hands functions to our
runner by name), so under `pytest -n 4` one worker would have to create it for
all and the last one delete it; on AWS its role must propagate through IAM
before Lambda accepts it, which the AWS provider already waits for; and it
reuses modules/function (least-privilege policy, log group, the local target's
batch action aliases) instead of a second copy of them. `make test-contract`
applies it (a no-op when unchanged) and `make destroy` removes it. Queues and
event source mappings, cheap and unique per test, are made here with boto3.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.contract.probe import Mappings, ProbeStack, Queue, Queues, Recorder, read_probe_stack
from tests.contract.statement import Statement
from tests.live.fixtures import required


def on_local_target() -> bool:
    """The Makefile points boto3 at the local cloud with AWS_ENDPOINT_URL, for TARGET=local only."""
    return bool(os.environ.get("AWS_ENDPOINT_URL"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not on_local_target():
        return
    for item in items:
        if isinstance(item, pytest.Function) and item.get_closest_marker("local_differs") is not None:
            reason = f"local cloud differs: {Statement.of(item).local}"
            item.add_marker(pytest.mark.xfail(strict=True, reason=reason))


@pytest.fixture(scope="session")
def probe(request: pytest.FixtureRequest) -> ProbeStack:
    return required(request, read_probe_stack(), "the contract probe is not deployed: `make test-contract` deploys it")


@pytest.fixture(scope="session")
def lambda_client(probe: ProbeStack) -> Any:
    return boto3.client("lambda", region_name=probe.region)


@pytest.fixture(scope="session")
def logs_client(probe: ProbeStack) -> Any:
    return boto3.client("logs", region_name=probe.region)


@pytest.fixture(scope="session")
def probe_timeout(lambda_client: Any, probe: ProbeStack) -> int:
    """Queues mapped to the probe need a visibility timeout at least this long (CreateEventSourceMapping checks)."""
    return int(lambda_client.get_function_configuration(FunctionName=probe.probe_function_name)["Timeout"])


@pytest.fixture
def queues(sqs: Any, probe: ProbeStack) -> Iterator[Queues]:
    made = Queues(sqs, probe.test_queue_prefix)
    yield made
    made.delete_all()


@pytest.fixture
def mappings(queues: Queues, lambda_client: Any, probe: ProbeStack) -> Iterator[Mappings]:
    """Set up after `queues`, so its mappings are deleted before their queues."""
    made = Mappings(lambda_client, probe.probe_function_name)
    yield made
    made.delete_all()


@pytest.fixture
def recorder(queues: Queues, sqs: Any) -> Recorder:
    return Recorder(sqs, queues.create(visibility_timeout=30))


@pytest.fixture
def source(queues: Queues, probe_timeout: int) -> Queue:
    """A queue to map to the probe, with the shortest visibility timeout the mapping accepts."""
    return queues.create(visibility_timeout=probe_timeout)


@pytest.fixture
def mapped(source: Queue, mappings: Mappings) -> Queue:
    """A source queue mapped to the probe with the defaults: batches of 10, no window, ReportBatchItemFailures."""
    mappings.create(source)
    return source
