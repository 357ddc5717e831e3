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
from collections.abc import Callable, Iterable, Sequence
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

    def sweep(self, *ledgers: Ledger) -> list[Sighting]:
        """One pass over every terminal queue: take the ledgers' messages, release the rest at once."""
        return [
            sighting for place, url in self.places.items() for sighting in sweep_queue(self.sqs, ledgers, place, url)
        ]

    def peek(self, ledger: Ledger, place: str) -> list[Sighting]:
        """The ledger's messages in one terminal queue, left where they are."""
        return sweep_queue(self.sqs, (ledger,), place, self.places[place], take=False)

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


def sweep_queue(sqs: Any, ledgers: Sequence[Ledger], place: str, url: str, take: bool = True) -> list[Sighting]:
    """One pass over one queue: the ledgers' messages (taken, unless take is False); the rest released at once."""
    found: list[Sighting] = []
    held: list[dict[str, Any]] = []
    try:
        while messages := sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60, MessageAttributeNames=[ORIGINAL_MESSAGE_ID]
        ).get("Messages", []):
            mine = []
            for message in messages:
                tracked_id = next((i for ledger in ledgers if (i := ledger.owner(message["Body"]))), None)
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


@dataclass
class Account:
    """A run whose reconciliation waits for the end of the session, settled with every other in one sweep."""

    ledger: Ledger
    run: str
    # Monotonic times: watch the queues until watch_until (the window in which anything a rejected request might
    # have enqueued would still end somewhere), give up on messages not yet ended at the deadline.
    watch_until: float
    deadline: float
    opened_by: str
    # Further problems a test finds in its run's sightings (e.g. a dead letter's body changed).
    check: Callable[[list[Sighting]], list[str]] | None = None
    sightings: list[Sighting] = field(default_factory=list)

    def waiting(self, now: float) -> bool:
        """Still to be watched: not past its deadline, and not every accepted message ended or still in its window."""
        ended = set(self.ledger.accepted) <= {s.id for s in self.sightings}
        return now < self.deadline and not (ended and now >= self.watch_until)

    def report(self) -> Report:
        report = reconcile(self.ledger, self.sightings, self.run)
        if self.check is not None:
            report.problems.extend(self.check(self.sightings))
        return report


class Books:
    """Accounts that wait out the redrive window, opened by tests and settled together at the end of the session.

    Proving that a message reached the DLQ, or that a rejected request enqueued
    nothing, takes a whole redrive window (one visibility timeout per receive).
    Tests that need it open an account and go on; one sweep at the end settles
    every account, so the window is paid once per session (once per pytest-xdist
    worker, the workers waiting at the same time), not once per test.
    """

    def __init__(self, accountant: Accountant) -> None:
        self.accountant = accountant
        self.accounts: list[Account] = []

    def open(
        self,
        ledger: Ledger,
        run: str,
        opened_by: str,
        watch_seconds: float,
        deadline_seconds: float,
        check: Callable[[list[Sighting]], list[str]] | None = None,
    ) -> None:
        now = time.monotonic()
        self.accounts.append(Account(ledger, run, now + watch_seconds, now + deadline_seconds, opened_by, check))

    def settle(self, say: Callable[[str], None], progress_seconds: float = 10) -> list[tuple[Account, Report]]:
        """Sweep for every open account until each has ended or reached its deadline, then reconcile each."""
        said_at = -progress_seconds
        while waiting := [a for a in self.accounts if a.waiting(time.monotonic())]:
            self.collect(waiting)
            now = time.monotonic()
            if now - said_at >= progress_seconds:
                left = max(max(a.watch_until, now) for a in waiting) - now
                unseen = sum(len(set(a.ledger.accepted) - {s.id for s in a.sightings}) for a in waiting)
                say(
                    f"waiting up to {left:.0f} s for the redrive window: {len(waiting)} runs, "
                    f"{unseen} accepted messages still to end"
                )
                said_at = now
            time.sleep(SWEEP_INTERVAL_SECONDS)
        self.collect(self.accounts)
        settled = [(account, account.report()) for account in self.accounts]
        self.accounts = []
        return settled

    def collect(self, accounts: list[Account]) -> None:
        """One sweep for all of them, each sighting handed to the account whose ledger made the id."""
        for sighting in self.accountant.sweep(*(a.ledger for a in accounts)):
            owner = next(a for a in accounts if a.ledger.owner(sighting.id) == sighting.id)
            owner.sightings.append(sighting)


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
