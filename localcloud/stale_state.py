"""Notice when the local cloud lost a deployed stack, so the next deploy re-creates it.

A local cloud restarted without state persistence forgets every resource,
while Terraform's state still lists them. If the queues or functions the state
names are gone, the state is moved aside (kept for inspection) and Terraform
starts over.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from localcloud.settings import Settings


def managed_attribute(state: dict[str, Any], resource_type: str, attribute: str) -> list[str]:
    return [
        instance["attributes"][attribute]
        for resource in state.get("resources", [])
        if resource.get("type") == resource_type and resource.get("mode") == "managed"
        for instance in resource.get("instances", [])
        if instance.get("attributes", {}).get(attribute)
    ]


def queue_urls(state: dict[str, Any]) -> list[str]:
    return managed_attribute(state, "aws_sqs_queue", "url")


def function_names(state: dict[str, Any]) -> list[str]:
    return managed_attribute(state, "aws_lambda_function", "function_name")


def client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service, endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )


def missing_queues(urls: list[str], endpoint: str) -> list[str]:
    sqs = client("sqs", endpoint)
    missing = []
    for url in urls:
        try:
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        except ClientError as err:
            if "NonExistentQueue" in err.response["Error"]["Code"]:
                missing.append(url)
            else:
                raise
    return missing


def missing_functions(names: list[str], endpoint: str) -> list[str]:
    lambda_client = client("lambda", endpoint)
    missing = []
    for name in names:
        try:
            lambda_client.get_function_configuration(FunctionName=name)
        except lambda_client.exceptions.ResourceNotFoundException:
            missing.append(name)
    return missing


def lost(state: dict[str, Any], endpoint: str) -> bool:
    """Whether a queue or function the state names is gone from the local cloud."""
    return bool(missing_queues(queue_urls(state), endpoint) or missing_functions(function_names(state), endpoint))


def run(settings: Settings, args: argparse.Namespace) -> int:
    state_file: Path = args.state_file
    if not state_file.exists():
        return 0
    if not lost(json.loads(state_file.read_text() or "{}"), settings.endpoint):
        return 0
    aside = settings.home / "stale-state" / f"{state_file.parent.name}-{time.strftime('%Y%m%d-%H%M%S')}.tfstate"
    aside.parent.mkdir(parents=True, exist_ok=True)
    state_file.rename(aside)
    state_file.with_name(state_file.name + ".backup").unlink(missing_ok=True)
    print(
        f"localcloud: the local cloud no longer holds the deployed stack (restarted without persistence?); "
        f"re-creating it. Old state kept in {aside}"
    )
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("forget-stale-state", help="move Terraform state aside if the local cloud lost the stack")
    parser.add_argument("--state-file", type=Path, required=True)
    parser.set_defaults(run=run)
