"""Print the functions' CloudWatch logs, and follow them.

Works against either target through the standard AWS environment. On the local
cloud with our runner, MiniStack also writes a wrapper stream per invocation
holding only START/END/REPORT, stamped at the same millisecond; the runner's
stream has the same lines with real timings, so those wrappers are skipped.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

from localcloud.settings import Settings

PLATFORM_PREFIXES = ("START RequestId: ", "END RequestId: ", "REPORT RequestId: ")
POLL_SECONDS = 1.0


def is_platform_wrapper(events: list[dict[str, Any]]) -> bool:
    """MiniStack's own START/END/REPORT triple for a proxied invocation."""
    return (
        len(events) == len(PLATFORM_PREFIXES)
        and all(e["message"].startswith(p) for e, p in zip(events, PLATFORM_PREFIXES, strict=True))
        and len({e["timestamp"] for e in events}) == 1
    )


def without_wrappers(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    streams: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        streams.setdefault(event.get("logStreamName", ""), []).append(event)
    return [e for stream in streams.values() if not is_platform_wrapper(stream) for e in stream]


class LogPrinter:
    def __init__(self, functions: list[str], skip_wrappers: bool) -> None:
        self.logs: Any = boto3.client("logs")
        self.functions = functions
        self.skip_wrappers = skip_wrappers
        self.seen_events: set[str] = set()

    def fetch(self, function: str, since_ms: int) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"logGroupName": f"/aws/lambda/{function}", "startTime": since_ms}
        try:
            for page in self.logs.get_paginator("filter_log_events").paginate(**kwargs):
                events.extend(dict(event, function=function) for event in page["events"])
        except ClientError as err:
            if err.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
        return without_wrappers(events) if self.skip_wrappers else events

    def print_new(self, since_ms: int) -> int:
        """Print events not printed yet; returns the newest timestamp seen."""
        events = sorted(
            (e for f in self.functions for e in self.fetch(f, since_ms)),
            key=lambda e: (e["timestamp"], e.get("ingestionTime", 0)),
        )
        newest = since_ms
        for event in events:
            newest = max(newest, event["timestamp"])
            # Not every emulator sets eventId; stream, time and text identify an event as well.
            identity = event.get("eventId") or f"{event.get('logStreamName')}|{event['timestamp']}|{event['message']}"
            if identity in self.seen_events:
                continue
            self.seen_events.add(identity)
            stamp = datetime.fromtimestamp(event["timestamp"] / 1000, UTC).strftime("%H:%M:%S.%f")[:-3]
            print(f"{stamp} {event['function']} {event['message'].rstrip()}", flush=True)
        return newest


def run(settings: Settings, args: argparse.Namespace) -> int:
    printer = LogPrinter(args.function, skip_wrappers=args.runner_wrappers)
    since = int((time.time() - args.since * 60) * 1000)
    since = printer.print_new(since)
    while args.follow:
        time.sleep(POLL_SECONDS)
        # Re-read a few seconds back: events can arrive with older timestamps.
        since = max(printer.print_new(since - 5000), since)
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("logs", help="print the functions' logs; --follow keeps printing")
    parser.add_argument("--function", action="append", required=True, help="function name (repeatable)")
    parser.add_argument("--since", type=float, default=10, help="minutes back to start from (default 10)")
    parser.add_argument("--follow", "-f", action="store_true")
    parser.add_argument(
        "--runner-wrappers",
        action="store_true",
        help="skip MiniStack's START/END/REPORT-only streams (the local target with our runner)",
    )
    parser.set_defaults(run=run)
