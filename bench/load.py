"""End-to-end latency and sustained throughput of the deployed pipeline.

Latency runs from `POST /inbox` answering 200 to the result being available on
the output queue (what GET /outbox returns), in a closed loop: each of the
`concurrency` clients posts a message and waits for its result before the
next, so the figure is one message's trip, not a queue the benchmark itself
built by posting faster than the stack drains. Results are taken off the queue
by a collector in its own process, short-polling in a tight loop: a long poll
on the local cloud re-checks only every 100 ms, and collector threads sharing
a GIL with dozens of posting threads would see results late. Posters run in
processes of their own for the same reason. All stamps are time.monotonic(),
one clock for every process on the machine. The stack is the benchmark's own,
so draining its output queue disturbs nobody.

The client view (`client_view_latency`) measures what a user of the API sees
instead: each POST is followed by `GET /outbox?id=<its id>`, retried on 404,
and the latency runs to that GET answering 200 with the result. It includes
the outbox function's invoke and its long poll, which MiniStack re-checks
every 100 ms. No collector runs then: it would take the results first.
"""

from __future__ import annotations

import http.client
import itertools
import json
import multiprocessing
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import datetime
from queue import Empty
from typing import Any
from urllib.parse import urlencode, urlsplit

import boto3
from tqdm import tqdm

from bench.stats import summary
from tests.live.stack import Stack


def processed_at(body: str) -> float:
    """The wall-clock time the function stamped on a result."""
    return datetime.fromisoformat(json.loads(body)["processedAt"]).timestamp()


def collect(queue_url: str, stop: Any, arrivals: Any, receivers: int = 2) -> None:
    """Process body: take results off the output queue and report (id, arrival time)."""

    def receive() -> None:
        sqs = boto3.client("sqs")
        while not stop.is_set():
            messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
            now = time.monotonic()
            if not messages:
                time.sleep(0.002)
                continue
            arrivals.put([(json.loads(m["Body"])["id"], now, processed_at(m["Body"])) for m in messages])
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )

    threads = [threading.Thread(target=receive) for _ in range(receivers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


class ResultCollector:
    """Runs `collect` in a child process while the benchmark posts; wakes whoever waits for a result."""

    def __init__(self, stack: Stack) -> None:
        context = multiprocessing.get_context("spawn")
        self.stop = context.Event()
        self.queue = context.Queue()
        self.process = context.Process(target=collect, args=(stack.output_queue_url, self.stop, self.queue))
        self.arrivals: dict[str, float] = {}
        self.processed: dict[str, float] = {}
        self.arrived = threading.Condition()
        self.closed = threading.Event()
        self.dispatcher = threading.Thread(target=self.dispatch, daemon=True)

    def __enter__(self) -> ResultCollector:
        self.process.start()
        self.dispatcher.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.process.join(timeout=30)
        self.closed.set()
        self.dispatcher.join(timeout=5)

    def dispatch(self) -> None:
        """Move the child's reports into the dicts as they come (the child cannot exit while its queue is full)."""
        while not (self.closed.is_set() and self.queue.empty()):
            try:
                batch = self.queue.get(timeout=0.05)
            except Empty:
                continue
            with self.arrived:
                for result_id, arrived, processed in batch:
                    self.arrivals.setdefault(result_id, arrived)
                    self.processed.setdefault(result_id, processed)
                self.arrived.notify_all()

    def wait_for(self, ids: set[str], timeout: float) -> None:
        with self.arrived:
            if not self.arrived.wait_for(lambda: ids <= self.arrivals.keys(), timeout):
                missing = len(ids - self.arrivals.keys())
                raise RuntimeError(f"{missing} of {len(ids)} results did not arrive within {timeout} s")


Accepted = tuple[str, float, float, int]  # id, accepted (monotonic), accepted (wall clock), 429s seen


class StampedResponse(http.client.HTTPResponse):
    """A response that stamps both clocks the moment its status line has been read.

    That is when the client knows its message was accepted, before the headers
    and body are read. Both stamps are taken back to back, so the monotonic one
    (compared with the collector's arrivals) and the wall-clock one (compared
    with the function's processedAt) describe the same instant.
    """

    stamped: tuple[float, float] = (0.0, 0.0)

    def _read_status(self) -> tuple[str, int, str]:
        status = super()._read_status()
        self.stamped = (time.monotonic(), time.time())
        return status


class Poster:
    """One keep-alive connection to the API. http.client, not requests: on two cores
    the load generator's own CPU would otherwise be a large part of what is measured."""

    def __init__(self, inbox_url: str) -> None:
        url = urlsplit(inbox_url)
        self.connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        self.connection.response_class = StampedResponse
        self.path = url.path

    def post(self, result_id: str) -> Accepted:
        """POST until accepted (a 429 is the API pacing us)."""
        body = json.dumps({"id": result_id, "message": f"benchmark message {result_id}", "type": "bench"})
        throttled = 0
        while True:
            self.connection.request("POST", self.path, body=body, headers={"Content-Type": "application/json"})
            response = self.connection.getresponse()
            text = response.read()
            if response.status == 200:
                # Skew that remains, each making accepted -> processed look shorter than it is
                # (so it can dip below 0): API Gateway's SendMessage has finished before it
                # writes the 200, so the pipeline may pick the message up while the answer is
                # on its way; processedAt is truncated to the millisecond; and at concurrency
                # 16 the client threads share one GIL, so the thread whose status line arrived
                # may stamp it only once it gets the GIL back.
                accepted, accepted_wall = response.stamped
                return result_id, accepted, accepted_wall, throttled
            if response.status != 429:
                raise RuntimeError(f"POST /inbox answered {response.status}: {text[:200]!r}")
            throttled += 1


def post_all(inbox_url: str, ids: list[str], threads: int) -> list[Accepted]:
    """Post ids from `threads` threads, each with its own connection (a process body too)."""
    local = threading.local()

    def post(result_id: str) -> Accepted:
        if not hasattr(local, "poster"):
            local.poster = Poster(inbox_url)
        return local.poster.post(result_id)

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(post, ids))


def new_ids(count: int) -> list[str]:
    run = uuid.uuid4().hex[:8]
    return [f"bench-{run}-{n}" for n in range(count)]


def warm_up(stack: Stack, messages: int = 64, concurrency: int = 16) -> None:
    """Start the functions' execution environments, so the figures are of a warm pipeline."""
    latency(stack, messages, concurrency, label="warm-up")


def latency(stack: Stack, messages: int, concurrency: int, label: str = "latency") -> dict[str, Any]:
    ids = new_ids(messages)
    samples: list[float] = []
    processing: list[float] = []
    with ResultCollector(stack) as collector, tqdm(total=messages, desc=f"{label} c={concurrency}", unit="msg") as bar:

        def client(own_ids: list[str]) -> None:
            poster = Poster(stack.inbox_url)
            for result_id in own_ids:
                _, accepted, accepted_wall, _ = poster.post(result_id)
                collector.wait_for({result_id}, timeout=60)
                samples.append((collector.arrivals[result_id] - accepted) * 1000)
                processing.append((collector.processed[result_id] - accepted_wall) * 1000)
                bar.update()

        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(client, [ids[k::concurrency] for k in range(concurrency)]))
    return {
        "concurrency": concurrency,
        "latency_ms": summary(samples),
        "accepted_to_processed_ms": summary(processing),
        "samples_ms": [round(s, 2) for s in samples],
    }


class Outbox:
    """One keep-alive connection to GET /outbox."""

    def __init__(self, outbox_url: str) -> None:
        url = urlsplit(outbox_url)
        self.connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        self.path = url.path

    def get(self, result_id: str) -> tuple[int, bytes]:
        self.connection.request("GET", f"{self.path}?{urlencode({'id': result_id})}")
        response = self.connection.getresponse()
        return response.status, response.read()


def client_view_latency(stack: Stack, messages: int, timeout: float = 60) -> dict[str, Any]:
    """POST /inbox accepted -> GET /outbox?id=<id> returned 200 with the result, one client (concurrency 1)."""
    poster, outbox = Poster(stack.inbox_url), Outbox(stack.outbox_url)
    samples: list[float] = []
    gets: list[int] = []
    for result_id in tqdm(new_ids(messages), desc="client view c=1 (POST, GET /outbox?id=)", unit="msg"):
        _, accepted, _, _ = poster.post(result_id)
        calls = 0
        while True:
            status, body = outbox.get(result_id)
            calls += 1
            if status == 200:
                returned = time.monotonic()
                break
            if status != 404:
                raise RuntimeError(f"GET /outbox?id={result_id} answered {status}: {body[:200]!r}")
            if time.monotonic() - accepted > timeout:
                raise RuntimeError(f"GET /outbox?id={result_id} found no result within {timeout} s")
        if json.loads(body).get("id") != result_id:
            raise RuntimeError(f"GET /outbox?id={result_id} returned another result: {body[:200]!r}")
        samples.append((returned - accepted) * 1000)
        gets.append(calls)
    return {
        "concurrency": 1,
        "latency_ms": summary(samples),
        "get_outbox_calls": summary(gets),
        "samples_ms": [round(s, 2) for s in samples],
    }


def throughput(stack: Stack, messages: int, processes: int = 4, threads: int = 8) -> dict[str, Any]:
    ids = new_ids(messages)
    depth: list[tuple[float, int]] = []
    sampling = threading.Event()
    started, started_wall = time.monotonic(), time.time()

    def sample_backlog() -> None:
        sqs = boto3.client("sqs")
        while not sampling.is_set():
            attributes = sqs.get_queue_attributes(
                QueueUrl=stack.input_queue_url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            visible_and_in_flight = sum(int(v) for v in attributes.values())
            depth.append((time.monotonic() - started, visible_and_in_flight))
            time.sleep(0.5)

    sampler = threading.Thread(target=sample_backlog, daemon=True)
    sampler.start()
    chunks = [ids[n : n + 250] for n in range(0, messages, 250)]
    with ResultCollector(stack) as collector:
        with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = [pool.submit(post_all, stack.inbox_url, chunk, threads) for chunk in chunks]
            accepted = [row for future in tqdm(futures, desc="throughput", unit="250 msg") for row in future.result()]
        posted_s = time.monotonic() - started
        collector.wait_for(set(ids), timeout=600)
    sampling.set()
    sampler.join()
    # When each result was made and sent: the function's processedAt stamp. With 32 posters
    # the collector gets a small share of the local cloud's requests and drains the output
    # queue late, so its arrival times measure that single consumer, not the pipeline.
    results = sorted(collector.processed[i] - started_wall for i in ids)
    collected = max(collector.arrivals[i] for i in ids) - started
    # The j-th thousand results: from the (j-1)-th thousandth result (or the first POST) to the j-th.
    marks = [0.0] + [results[k - 1] for k in range(1000, len(results) + 1, 1000)]
    per_thousand = [round(1000 / (later - earlier), 1) for earlier, later in itertools.pairwise(marks)]
    return {
        "messages": messages,
        "posters": processes * threads,
        "post_rate_msg_s": round(messages / posted_s, 1),
        "end_to_end_msg_s": round(messages / results[-1], 1),
        "msg_s_per_1000": per_thousand,
        "collected_by_one_consumer_msg_s": round(messages / collected, 1),
        "throttled_429": sum(t for _, _, _, t in accepted),
        "backlog_max": max((d for _, d in depth), default=0),
        "arrivals_s": [round(a, 3) for a in results],
        "backlog": [(round(t, 2), d) for t, d in depth],
    }
