"""Where every message accepted by POST /inbox ended: the accounting shared by the fault and fuzz suites.

The promise: each message accepted with 200 ends exactly once, as a result on
the output queue or in a dead-letter queue, and nothing else appears there.
A ledger hands out ids carrying one tag per run and remembers what the API
answered; the accountant sweeps the output queue and both DLQs for that tag
and reconciles. SQS delivers at least once, so a result may appear twice: a
duplicate carrying the posted message's own SQS message id is reported as an
explained redelivery. A message ending both as a result and as a dead letter
breaks the promise, as does anything else unexplained.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests

from tests.live.pipeline import caller_auth, release
from tests.live.stack import Stack
from tools.redrive import ORIGINAL_MESSAGE_ID

RESULT = "result"
DEAD_LETTER = "dead letter"
EITHER = "result or dead letter"

OUTBOX = "output queue"
INPUT_DLQ = "input DLQ"
OUTPUT_DLQ = "output DLQ"

# Each sweep passes over three queues; twice a second is plenty.
SWEEP_INTERVAL_SECONDS = 0.5


@dataclass(frozen=True)
class Accepted:
    """A message POST /inbox answered with 200, and where it should end."""

    id: str
    message_id: str
    expected: str


@dataclass(frozen=True)
class Sighting:
    """One appearance of a tracked id in a terminal place."""

    id: str
    place: str
    input_message_id: str | None
    body: str


class Ledger:
    """The ids one run posted, what the API answered, and where each should end. Thread-safe."""

    def __init__(self, run: str) -> None:
        self.tag = f"{run}-{uuid.uuid4().hex[:10]}"
        self.pattern = re.compile(re.escape(self.tag) + r"-\d+")
        self.accepted: dict[str, Accepted] = {}
        self.rejected: dict[str, int] = {}
        self.lock = threading.Lock()
        self.counter = 0

    def new_id(self) -> str:
        with self.lock:
            self.counter += 1
            return f"{self.tag}-{self.counter}"

    def record(self, tracked_id: str, status: int, answer: Any, expected: str) -> None:
        """Note the API's answer; a 200 must carry the SQS message id."""
        with self.lock:
            if status == 200:
                self.accepted[tracked_id] = Accepted(tracked_id, answer["messageId"], expected)
            else:
                self.rejected[tracked_id] = status

    def owner(self, text: str) -> str | None:
        """The tracked id a message body carries, if any."""
        found = self.pattern.search(text)
        return found.group() if found else None

    @property
    def sent(self) -> int:
        return len(self.accepted) + len(self.rejected)


@dataclass
class Report:
    """The reconciliation of one run: its figures, and every breach of the promise."""

    run: str
    sent: int
    accepted: int
    delivered: int
    dead_lettered: int
    duplicates: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def figures(self) -> str:
        return (
            f"sent {self.sent}, accepted {self.accepted}, delivered {self.delivered}, DLQ {self.dead_lettered}, "
            f"duplicates {len(self.duplicates)}, lost {len(self.lost)}"
        )

    def assert_kept(self) -> None:
        """Fail with every breach; explained duplicates are reported, not failed."""
        breaches = [*(f"lost: {i}" for i in self.lost), *self.problems]
        assert not breaches, f"{self.run}: {self.figures()}\n" + "\n".join(breaches[:20])


def reconcile(ledger: Ledger, sightings: Iterable[Sighting], run: str) -> Report:
    """Match every sighting against the ledger. Pure, so its rules are unit-tested."""
    seen: dict[str, list[Sighting]] = {}
    problems: list[str] = []
    for sighting in sightings:
        if sighting.id not in ledger.accepted:
            why = f"rejected with {ledger.rejected[sighting.id]}" if sighting.id in ledger.rejected else "never posted"
            problems.append(f"unexpected: {sighting.id} ({why}) appeared in the {sighting.place}")
            continue
        seen.setdefault(sighting.id, []).append(sighting)

    duplicates: list[str] = []
    delivered = dead = 0
    for tracked_id, places in seen.items():
        accepted = ledger.accepted[tracked_id]
        strangers = [s for s in places if s.input_message_id != accepted.message_id]
        for stranger in strangers:
            problems.append(
                f"wrong input: {tracked_id} in the {stranger.place} carries input message id "
                f"{stranger.input_message_id}, but POST /inbox returned {accepted.message_id}"
            )
        where = ", ".join(s.place for s in places)
        results = sum(s.place == OUTBOX for s in places)
        if 0 < results < len(places):
            # Not excused as a redelivery. A worker killed after sending its
            # results, before the batch was deleted, gets the record back and
            # sends its result again: two results. A dead letter needs
            # maxReceiveCount receives that all failed, so one beside a result
            # means the record kept failing after its result was sent (say, an
            # invocation timing out after every send): a breach to see.
            problems.append(
                f"twice: {tracked_id} (input message {accepted.message_id}) ended both as a result "
                f"and as a dead letter ({where})"
            )
        elif len(places) > 1 and not strangers:
            duplicates.append(
                f"{tracked_id}: input message {accepted.message_id} ended {len(places)} times "
                f"({where}): redelivered, processed again"
            )
        ended_as = RESULT if results else DEAD_LETTER
        if accepted.expected not in (ended_as, EITHER):
            problems.append(f"misplaced: {tracked_id} expected as {accepted.expected}, ended as {ended_as}")
        delivered += ended_as == RESULT
        dead += ended_as == DEAD_LETTER

    lost = sorted(set(ledger.accepted) - set(seen))
    return Report(run, ledger.sent, len(ledger.accepted), delivered, dead, duplicates, lost, problems)


class Accountant:
    """Sweeps the stack's terminal queues for a ledger's ids, deleting what it finds."""

    def __init__(self, sqs: Any, stack: Stack) -> None:
        self.sqs = sqs
        self.stack = stack
        self.places = {OUTBOX: stack.output_queue_url, INPUT_DLQ: stack.input_dlq_url, OUTPUT_DLQ: stack.output_dlq_url}

    def sweep(self, ledger: Ledger) -> list[Sighting]:
        """One pass over every terminal queue: take the ledger's messages, release the rest at once."""
        return [
            sighting for place, url in self.places.items() for sighting in sweep_queue(self.sqs, ledger, place, url)
        ]

    def peek(self, ledger: Ledger, place: str) -> list[Sighting]:
        """The ledger's messages in one terminal queue, left where they are."""
        return sweep_queue(self.sqs, ledger, place, self.places[place], take=False)

    def input_queue_empty(self) -> bool:
        """Nothing waiting, in flight or delayed: no record can still turn into a result or a dead letter."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.stack.input_queue_url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )["Attributes"]
        return all(value == "0" for value in attributes.values())

    def settle(self, ledger: Ledger, deadline_seconds: float, run: str, watch_until: float | None = None) -> Report:
        """Sweep until every accepted id has ended, then reconcile.

        A suite that owns the stack (watch_until None) also waits for the input
        queue to empty, so no redelivery can still add a duplicate. A suite
        sharing the stack watches until the monotonic time watch_until instead:
        long enough for anything a rejected request might have enqueued to
        reach a DLQ.
        """
        sightings: list[Sighting] = []
        deadline = time.monotonic() + deadline_seconds
        while True:
            sightings.extend(self.sweep(ledger))
            ended = set(ledger.accepted) <= {s.id for s in sightings}
            quiet = self.input_queue_empty() if watch_until is None else time.monotonic() >= watch_until
            if (ended and quiet) or time.monotonic() >= deadline:
                break
            time.sleep(SWEEP_INTERVAL_SECONDS)
        sightings.extend(self.sweep(ledger))
        return reconcile(ledger, sightings, run)


def sweep_queue(sqs: Any, ledger: Ledger, place: str, url: str, take: bool = True) -> list[Sighting]:
    """One pass over one queue: the ledger's messages (taken, unless take is False); the rest released at once."""
    found: list[Sighting] = []
    held: list[dict[str, Any]] = []
    try:
        while messages := sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60, MessageAttributeNames=[ORIGINAL_MESSAGE_ID]
        ).get("Messages", []):
            mine = []
            for message in messages:
                tracked_id = ledger.owner(message["Body"])
                if tracked_id is not None:
                    found.append(sighting_of(tracked_id, place, message))
                (mine if tracked_id is not None and take else held).append(message)
            if mine:
                sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(mine)],
                )
    finally:
        release(sqs, url, held)
    return found


def sighting_of(tracked_id: str, place: str, message: dict[str, Any]) -> Sighting:
    """A result names its input in its body, in the output queue and in its DLQ alike; an input dead letter keeps
    the SQS message id it was posted with, or, once redriven by sending it again, carries that id in its
    OriginalMessageId attribute."""
    if place in (OUTBOX, OUTPUT_DLQ):
        try:
            input_message_id = json.loads(message["Body"]).get("inputMessageId")
        except (ValueError, AttributeError):
            input_message_id = None
    else:
        original = message.get("MessageAttributes", {}).get(ORIGINAL_MESSAGE_ID, {})
        input_message_id = original.get("StringValue") or message["MessageId"]
    return Sighting(tracked_id, place, input_message_id, message["Body"])


Body = Callable[[str], dict[str, Any]]


def post_all(stack: Stack, ledger: Ledger, bodies: list[tuple[Body, str]], workers: int = 8) -> list[requests.Response]:
    """POST each body (built around a fresh id) concurrently and record the answers; returns them in order."""
    local = threading.local()

    def post(item: tuple[Body, str]) -> requests.Response:
        make_body, expected = item
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            session.auth = caller_auth(stack)
        tracked_id = ledger.new_id()
        response = session.post(stack.inbox_url, json=make_body(tracked_id), timeout=30)
        ledger.record(tracked_id, response.status_code, response.json(), expected)
        return response

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(post, bodies))


def message(text: str, **extra: Any) -> Body:
    """A body builder: the tracked id, a message text and any extra fields."""
    return lambda tracked_id: {"id": tracked_id, "message": text, "type": "fault", **extra}
