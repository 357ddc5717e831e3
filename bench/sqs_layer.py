"""The SQS layer alone, side by side: the local cloud and moto's server.

SendMessage into an empty queue, then, at queue depths of 100, 1,000 and
10,000: ReceiveMessage(10) + DeleteMessageBatch, and single SendMessage calls.
Each depth is exact: the receive+delete always starts from exactly `depth`
visible messages, and the single sends that follow it (timed too) put back
what it took, so each of them goes into a queue of depth-10 .. depth-1.
Filling to each depth is done with SendMessageBatch(10), timed as a rate.
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


def fill(sqs: Any, url: str, count: int, deadline: float = float("inf"), progress: str | None = None) -> int:
    """Send count messages in batches of 10, stopping at the deadline; returns how many were sent."""
    sent = 0
    with tqdm(total=count, desc=progress, unit="msg", disable=progress is None) as bar:
        while sent < count and time.monotonic() < deadline:
            batch = min(10, count - sent)
            sqs.send_message_batch(
                QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"message {sent + i}"} for i in range(batch)]
            )
            sent += batch
            bar.update(batch)
    return sent


def visible(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def check_depth(sqs: Any, url: str, depth: int, label: str) -> None:
    """Both engines count exactly; a figure taken at another depth than its label must not pass unnoticed."""
    seen = visible(sqs, url)
    if seen != depth:
        raise RuntimeError(f"{label}: the queue holds {seen:,} messages where the benchmark expects {depth:,}")


def timed_send(sqs: Any, url: str, body: str) -> float:
    started = time.perf_counter()
    sqs.send_message(QueueUrl=url, MessageBody=body)
    return (time.perf_counter() - started) * 1000


def send_into_empty_queue(sqs: Any, name: str, count: int) -> list[float]:
    """SendMessage into a queue of its own, which holds 0 .. count-1 messages; deleted after."""
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    try:
        return [timed_send(sqs, url, f"send {n}") for n in range(count)]
    finally:
        sqs.delete_queue(QueueUrl=url)


def measure_endpoint(
    endpoint: str, label: str, iterations: int = 50, budget_s: float = 30, fill_budget_s: float = 300
) -> dict[str, Any]:
    """Up to `iterations` receive+deletes per depth (each followed by up to 10 single sends),
    fewer (at least 5) when a depth's budget runs out.

    Filling is timed too (SendMessageBatch, messages per second). An engine whose
    sends slow down as the queue grows may not reach the deepest depth within
    fill_budget_s; the result then says how deep it got and the deeper depths
    stay unmeasured.
    """
    sqs = client(endpoint)
    name = f"bench-sqs-{int(time.time())}"
    result: dict[str, Any] = {"send_ms": summary(send_into_empty_queue(sqs, f"{name}-send", 200), 2)}
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    try:
        depth_now = 0
        for depth in DEPTHS:
            started = time.monotonic()
            sent = fill(
                sqs, url, depth - depth_now, deadline=started + fill_budget_s, progress=f"{label} fill to {depth:,}"
            )
            depth_now += sent
            result[f"fill_send_message_batch_msg_s_to_{depth}"] = round(sent / max(time.monotonic() - started, 1e-9), 1)
            if depth_now < depth:
                result["fill_stopped"] = f"reached {depth_now:,} of {depth:,} messages in {fill_budget_s:.0f} s"
                break
            check_depth(sqs, url, depth, label)
            receive_delete: list[float] = []
            sends: list[float] = []
            spent = time.monotonic()
            for _ in tqdm(range(iterations), desc=f"{label} receive+delete, send @{depth:,}", unit="op"):
                if len(receive_delete) >= 5 and time.monotonic() - spent > budget_s:
                    break
                # The queue holds exactly `depth` messages here.
                started = time.perf_counter()
                messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
                if not messages:
                    raise RuntimeError(f"{label}: ReceiveMessage returned nothing from a queue {depth:,} deep")
                sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
                )
                receive_delete.append((time.perf_counter() - started) * 1000)
                # Back to `depth`, one timed SendMessage at a time.
                sends.extend(timed_send(sqs, url, f"refill {n}") for n in range(len(messages)))
            check_depth(sqs, url, depth, label)
            result[f"receive_delete_ms_at_{depth}"] = summary(receive_delete, 2)
            result[f"send_ms_at_{depth}"] = summary(sends, 2)
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
