"""Ship function log lines to CloudWatch Logs in the background, as Lambda does.

Batches per stream every 200 ms; a failure to ship is reported on stderr and
never fails an invocation.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from typing import Any

import boto3

FLUSH_SECONDS = 0.2


class LogShipper:
    def __init__(self, endpoint: str, region: str) -> None:
        session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=region)
        self.logs: Any = session.client("logs", endpoint_url=endpoint)
        self.lock = threading.Lock()
        self.pending: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.streams: set[tuple[str, str]] = set()
        threading.Thread(target=self.run, daemon=True).start()

    def __call__(self, function: str, stream: str, line: str) -> None:
        event = {"timestamp": int(time.time() * 1000), "message": line}
        with self.lock:
            self.pending.setdefault((f"/aws/lambda/{function}", stream), []).append(event)

    def run(self) -> None:
        while True:
            time.sleep(FLUSH_SECONDS)
            self.flush()

    def flush(self) -> None:
        with self.lock:
            batches, self.pending = self.pending, {}
        for (group, stream), events in batches.items():
            try:
                if (group, stream) not in self.streams:
                    self.create_stream(group, stream)
                self.logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
            except Exception as err:  # noqa: BLE001 - logging must never break an invocation
                print(f"runner: could not ship {len(events)} log lines to {group}: {err}", file=sys.stderr)

    def create_stream(self, group: str, stream: str) -> None:
        with contextlib.suppress(self.logs.exceptions.ResourceAlreadyExistsException):
            self.logs.create_log_group(logGroupName=group)
        with contextlib.suppress(self.logs.exceptions.ResourceAlreadyExistsException):
            self.logs.create_log_stream(logGroupName=group, logStreamName=stream)
        self.streams.add((group, stream))
