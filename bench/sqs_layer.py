"""The SQS layer alone, side by side: the local cloud and moto's server.

SendMessage, then ReceiveMessage(10) + DeleteMessageBatch at queue depths of
100, 1,000 and 10,000, with the depth held steady by refilling what was taken.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from typing import Any

import boto3
from tqdm import tqdm

from bench.stats import summary

DEPTHS = (100, 1_000, 10_000)


def client(endpoint: str) -> Any:
    return boto3.client(
        "sqs", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )


def fill(sqs: Any, url: str, count: int, deadline: float = float("inf")) -> int:
    """Send count messages in batches of 10, stopping at the deadline; returns how many were sent."""
    sent = 0
    while sent < count and time.monotonic() < deadline:
        batch = min(10, count - sent)
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"message {sent + i}"} for i in range(batch)]
        )
        sent += batch
    return sent


def measure_endpoint(
    endpoint: str, label: str, iterations: int = 50, budget_s: float = 30, fill_budget_s: float = 300
) -> dict[str, Any]:
    """Up to `iterations` samples per depth, fewer (at least 5) when a depth's budget runs out.

    Filling is timed too (messages per second). An engine whose sends slow down
    as the queue grows may not reach the deepest depth within fill_budget_s;
    the result then says how deep it got and the deeper depths stay unmeasured.
    """
    sqs = client(endpoint)
    url = sqs.create_queue(QueueName=f"bench-sqs-{int(time.time())}")["QueueUrl"]
    try:
        sends = []
        for n in range(200):
            started = time.perf_counter()
            sqs.send_message(QueueUrl=url, MessageBody=f"send {n}")
            sends.append((time.perf_counter() - started) * 1000)
        result: dict[str, Any] = {"send_ms": summary(sends, 2)}
        depth_now = 200
        for depth in DEPTHS:
            started = time.monotonic()
            sent = fill(sqs, url, depth - depth_now, deadline=started + fill_budget_s)
            depth_now += sent
            result[f"fill_msg_s_to_{depth}"] = round(sent / max(time.monotonic() - started, 1e-9), 1)
            if depth_now < depth:
                result["fill_stopped"] = f"reached {depth_now:,} of {depth:,} messages in {fill_budget_s:.0f} s"
                break
            samples: list[float] = []
            spent = time.monotonic()
            for _ in tqdm(range(iterations), desc=f"{label} receive+delete @{depth}", unit="op"):
                if len(samples) >= 5 and time.monotonic() - spent > budget_s:
                    break
                started = time.perf_counter()
                messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
                sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
                )
                samples.append((time.perf_counter() - started) * 1000)
                fill(sqs, url, len(messages))
            result[f"receive_delete_ms_at_{depth}"] = summary(samples, 2)
        return result
    finally:
        sqs.delete_queue(QueueUrl=url)


class MotoServer:
    """moto's standalone server, the engine our unit tests use, on a port of its own."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> str:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        endpoint = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)
                return endpoint
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("moto server did not start")

    def __exit__(self, *_: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
