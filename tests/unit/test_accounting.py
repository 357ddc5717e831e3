"""The accounting rules the fault and fuzz suites rely on, without a stack."""

from __future__ import annotations

import time

import pytest

from tests.live.accounting import (
    DEAD_LETTER,
    EITHER,
    INPUT_DLQ,
    OUTBOX,
    OUTPUT_DLQ,
    RESULT,
    Books,
    Ledger,
    Sighting,
    reconcile,
    sighting_of,
)


@pytest.fixture
def ledger() -> Ledger:
    """Three accepted messages (a result, a dead letter, either) and one rejected."""
    book = Ledger("unit")
    for expected in (RESULT, DEAD_LETTER, EITHER):
        book.record(book.new_id(), 200, {"messageId": f"mid-{book.counter}"}, expected)
    book.record(book.new_id(), 400, {"message": "Invalid request body"}, EITHER)
    return book


def ids(ledger: Ledger) -> list[str]:
    return [f"{ledger.tag}-{n}" for n in range(1, ledger.counter + 1)]


def seen(tracked_id: str, place: str, input_message_id: str | None) -> Sighting:
    return Sighting(tracked_id, place, input_message_id, "{}")


def where_they_belong(ledger: Ledger) -> list[Sighting]:
    """The accepted messages, each once where expected: a result, a dead letter, a result."""
    first, second, third, _ = ids(ledger)
    return [seen(first, OUTBOX, "mid-1"), seen(second, INPUT_DLQ, "mid-2"), seen(third, OUTBOX, "mid-3")]


def test_every_message_where_it_belongs_keeps_the_promise(ledger: Ledger) -> None:
    report = reconcile(ledger, where_they_belong(ledger), "unit")
    report.assert_kept()
    assert (report.sent, report.accepted, report.delivered, report.dead_lettered) == (4, 3, 2, 1)
    assert report.figures() == "sent 4, accepted 3, delivered 2, DLQ 1, duplicates 0, lost 0"


def test_a_message_seen_nowhere_is_lost(ledger: Ledger) -> None:
    second = ids(ledger)[1]
    report = reconcile(ledger, [s for s in where_they_belong(ledger) if s.id != second], "unit")
    assert report.lost == [second]
    with pytest.raises(AssertionError, match=f"lost: {second}"):
        report.assert_kept()


def test_a_redelivered_input_is_an_explained_duplicate(ledger: Ledger) -> None:
    # GIVEN the first message's input processed twice: two results naming the same input message id
    first = ids(ledger)[0]
    sightings = [*where_they_belong(ledger), seen(first, OUTBOX, "mid-1")]
    # WHEN reconciled
    report = reconcile(ledger, sightings, "unit")
    # THEN it is reported as a duplicate with its explanation, and the promise still holds
    report.assert_kept()
    assert report.duplicates == [
        f"{first}: input message mid-1 ended 2 times (output queue, output queue): redelivered, processed again"
    ]
    assert report.delivered == 2


def test_a_result_that_is_also_a_dead_letter_breaks_the_promise(ledger: Ledger) -> None:
    # GIVEN the third message (either outcome allowed) ended as a result and also in the input DLQ
    third = ids(ledger)[2]
    sightings = [*where_they_belong(ledger), seen(third, INPUT_DLQ, "mid-3")]
    # WHEN reconciled
    report = reconcile(ledger, sightings, "unit")
    # THEN it is no explained duplicate but a breach that fails the check
    assert report.duplicates == []
    assert report.problems == [
        f"twice: {third} (input message mid-3) ended both as a result and as a dead letter (output queue, input DLQ)"
    ]
    with pytest.raises(AssertionError, match=f"twice: {third}"):
        report.assert_kept()


def test_a_result_of_another_input_is_an_unexplained_failure(ledger: Ledger) -> None:
    sightings = [*where_they_belong(ledger), seen(ids(ledger)[0], OUTBOX, "someone-else")]
    report = reconcile(ledger, sightings, "unit")
    assert report.duplicates == []
    with pytest.raises(AssertionError, match="wrong input"):
        report.assert_kept()


def test_anything_from_a_rejected_request_is_unexpected(ledger: Ledger) -> None:
    rejected = ids(ledger)[3]
    sightings = [*where_they_belong(ledger), seen(rejected, INPUT_DLQ, "x")]
    with pytest.raises(AssertionError, match=f"unexpected: {rejected} \\(rejected with 400\\)"):
        reconcile(ledger, sightings, "unit").assert_kept()


def test_a_message_ending_in_the_wrong_place_is_misplaced(ledger: Ledger) -> None:
    first, second, third, _ = ids(ledger)
    sightings = [seen(first, INPUT_DLQ, "mid-1"), seen(second, OUTBOX, "mid-2"), seen(third, OUTBOX, "mid-3")]
    report = reconcile(ledger, sightings, "unit")
    assert [p.split(" expected")[0] for p in report.problems] == [f"misplaced: {first}", f"misplaced: {second}"]


def test_the_ledger_finds_its_ids_in_any_body() -> None:
    book = Ledger("unit")
    tracked = book.new_id()
    assert book.owner(f'{{"id": "{tracked}", "message": "x"}}') == tracked
    assert book.owner(f"raw bytes then {tracked}") == tracked
    assert book.owner('{"id": "unit-someone-else-1"}') is None


@pytest.mark.parametrize("place", [OUTBOX, OUTPUT_DLQ])
def test_a_result_names_its_input_wherever_it_waits(place: str) -> None:
    # GIVEN a result, in the output queue or moved on to its DLQ, with its own SQS message id
    message = {"MessageId": "result-message-id", "Body": '{"id": "x-1", "inputMessageId": "mid-1"}'}
    # THEN its input is the message id the result names, not the result's own
    assert sighting_of("x-1", place, message).input_message_id == "mid-1"


def test_an_input_dead_letter_names_the_id_it_was_posted_with_or_its_original() -> None:
    posted = {"MessageId": "mid-1", "Body": "{}"}
    redriven = {**posted, "MessageId": "mid-2", "MessageAttributes": {"OriginalMessageId": {"StringValue": "mid-1"}}}
    assert sighting_of("x-1", INPUT_DLQ, posted).input_message_id == "mid-1"
    assert sighting_of("x-1", INPUT_DLQ, redriven).input_message_id == "mid-1"


class ScriptedAccountant:
    """Each sweep hands out the next batch of sightings (then nothing), whichever ledgers it is asked about."""

    def __init__(self, *batches: list[Sighting]) -> None:
        self.batches = list(batches)
        self.sweeps = 0

    def sweep(self, *ledgers: Ledger) -> list[Sighting]:
        self.sweeps += 1
        return self.batches.pop(0) if self.batches else []


def test_the_books_settle_every_account_in_one_sweep_each_with_its_own_sightings(ledger: Ledger) -> None:
    # GIVEN two runs' accounts, one watched for a short window
    other = Ledger("other")
    other.record(other.new_id(), 200, {"messageId": "other-mid"}, RESULT)
    sightings = where_they_belong(ledger)
    accountant = ScriptedAccountant(sightings[:2], [*sightings[2:], seen(f"{other.tag}-1", OUTBOX, "other-mid")])
    books = Books(accountant)
    books.open(ledger, "first", opened_by="t1", watch_seconds=0, deadline_seconds=5)
    books.open(other, "second", opened_by="t2", watch_seconds=0.3, deadline_seconds=5)
    said: list[str] = []
    # WHEN they are settled
    started = time.monotonic()
    settled = books.settle(say=said.append)
    # THEN each run is reconciled with the sightings of its own ids, once its window has passed
    assert [(account.run, report.figures()) for account, report in settled] == [
        ("first", "sent 4, accepted 3, delivered 2, DLQ 1, duplicates 0, lost 0"),
        ("second", "sent 1, accepted 1, delivered 1, DLQ 0, duplicates 0, lost 0"),
    ]
    assert time.monotonic() - started >= 0.3
    assert said[0].startswith("waiting up to ")
    assert not books.accounts


def test_an_account_past_its_deadline_reports_what_never_ended(ledger: Ledger) -> None:
    books = Books(ScriptedAccountant(where_they_belong(ledger)[:2]))
    books.open(ledger, "short", opened_by="t", watch_seconds=0, deadline_seconds=0.2)
    ((_, report),) = books.settle(say=lambda _: None)
    assert report.lost == [ids(ledger)[2]]


def test_an_accounts_own_check_adds_its_problems(ledger: Ledger) -> None:
    books = Books(ScriptedAccountant(where_they_belong(ledger)))
    books.open(ledger, "checked", "t", 0, 5, check=lambda sightings: [f"saw {len(sightings)}"])
    ((_, report),) = books.settle(say=lambda _: None)
    with pytest.raises(AssertionError, match="saw 3"):
        report.assert_kept()
