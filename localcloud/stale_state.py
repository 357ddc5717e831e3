"""Notice when the local cloud lost a deployed stack, so the next deploy re-creates it.

A local cloud restarted without state persistence forgets every resource,
while Terraform's state still lists them. If the queues the state names are
gone, the state is moved aside (kept for inspection) and Terraform starts over.
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


def queue_urls(state: dict[str, Any]) -> list[str]:
    return [
        instance["attributes"]["url"]
        for resource in state.get("resources", [])
        if resource.get("type") == "aws_sqs_queue" and resource.get("mode") == "managed"
        for instance in resource.get("instances", [])
        if instance.get("attributes", {}).get("url")
    ]


def missing_queues(urls: list[str], endpoint: str) -> list[str]:
    sqs = boto3.client(
        "sqs", endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
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


def run(settings: Settings, args: argparse.Namespace) -> int:
    state_file: Path = args.state_file
    if not state_file.exists():
        return 0
    urls = queue_urls(json.loads(state_file.read_text() or "{}"))
    if not urls or not missing_queues(urls, settings.endpoint):
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
