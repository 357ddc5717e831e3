"""tools/redrive.py: the receive-send-delete fallback against moto, the move task against a stub."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from tools import redrive

ATTRIBUTES = {"origin": {"DataType": "String", "StringValue": "inbox"}}


@dataclass(frozen=True)
class Queues:
    dlq: str
    source: str
    dead_ids: list[str]


@pytest.fixture
def sqs() -> Any:
    return boto3.client("sqs")


@pytest.fixture
def queues(sqs: Any) -> Queues:
    """A source queue and its DLQ holding 25 messages with an attribute each."""
    source = sqs.create_queue(QueueName="source")["QueueUrl"]
    dlq = sqs.create_queue(QueueName="source-dlq")["QueueUrl"]
    dead_ids = [
        sqs.send_message(QueueUrl=dlq, MessageBody=f"dead {n}", MessageAttributes=ATTRIBUTES)["MessageId"]
        for n in range(25)
    ]
    return Queues(dlq, source, dead_ids)


@pytest.fixture
def no_move_tasks(sqs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """An endpoint without StartMessageMoveTask, answering as the local cloud does."""

    def unsupported(**_: Any) -> None:
        error = {"Error": {"Code": "InvalidAction", "Message": "not valid for this endpoint"}}
        raise ClientError(error, "StartMessageMoveTask")

    monkeypatch.setattr(redrive.boto3, "client", lambda *_a, **_k: sqs)
    monkeypatch.setattr(sqs, "start_message_move_task", unsupported)


def everything_in(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def received_all(sqs: Any, url: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get(
        "Messages", []
    ):
        messages.extend(batch)
    return messages


def test_by_hand_every_message_moves_with_its_attributes_and_first_id(sqs: Any, queues: Queues) -> None:
    # GIVEN 25 dead letters, each with an attribute
    dlq, source = queues.dlq, queues.source
    progress: list[int] = []
    # WHEN they are moved by hand
    moved = redrive.move_by_hand(sqs, dlq, source, limit=25, progress=progress.append)
    # THEN all moved, each with its attribute and the id it had in the DLQ
    assert (moved, sum(progress), everything_in(sqs, dlq)) == (25, 25, 0)
    arrived = received_all(sqs, source)
    assert sorted(m["Body"] for m in arrived) == sorted(f"dead {n}" for n in range(25))
    assert all(m["MessageAttributes"]["origin"] == ATTRIBUTES["origin"] for m in arrived)
    assert {m["MessageAttributes"]["OriginalMessageId"]["StringValue"] for m in arrived} == set(queues.dead_ids)


def test_by_hand_a_second_redrive_keeps_the_first_id(sqs: Any, queues: Queues) -> None:
    dlq, source = queues.dlq, queues.source
    redrive.move_by_hand(sqs, dlq, source, limit=1, progress=lambda _: None)
    (once,) = received_all(sqs, source)
    sqs.send_message(QueueUrl=dlq, MessageBody=once["Body"], MessageAttributes=once["MessageAttributes"])
    sqs.purge_queue(QueueUrl=source)
    redrive.move_by_hand(sqs, dlq, source, limit=25, progress=lambda _: None)
    firsts = {m["MessageAttributes"]["OriginalMessageId"]["StringValue"] for m in received_all(sqs, source)}
    assert once["MessageAttributes"]["OriginalMessageId"]["StringValue"] in firsts
    assert len(firsts) == 25


def test_by_hand_a_run_stops_at_its_limit(sqs: Any, queues: Queues) -> None:
    dlq, source = queues.dlq, queues.source
    assert redrive.move_by_hand(sqs, dlq, source, limit=12, progress=lambda _: None) == 12
    assert (everything_in(sqs, source), everything_in(sqs, dlq)) == (12, 13)


def test_by_hand_a_refused_message_is_never_deleted(sqs: Any, queues: Queues, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a source queue that refuses the second entry of every batch
    dlq, source = queues.dlq, queues.source
    real_send = sqs.send_message_batch

    def refuse_second(**kwargs: Any) -> dict:
        refused, *_ = kwargs["Entries"][1:2]
        response = real_send(QueueUrl=kwargs["QueueUrl"], Entries=[e for e in kwargs["Entries"] if e is not refused])
        response["Failed"] = [{"Id": refused["Id"], "SenderFault": True, "Code": "InvalidMessageContents"}]
        return response

    monkeypatch.setattr(sqs, "send_message_batch", refuse_second)
    # WHEN a redrive runs
    with pytest.raises(redrive.RedriveError, match=r"refused 1 messages \(InvalidMessageContents"):
        redrive.move_by_hand(sqs, dlq, source, limit=25, progress=lambda _: None)
    # THEN the first batch's nine sent messages moved and the refused one stays in the DLQ
    assert (everything_in(sqs, source), everything_in(sqs, dlq)) == (9, 16)


def test_by_hand_a_failed_send_deletes_nothing(sqs: Any, queues: Queues, monkeypatch: pytest.MonkeyPatch) -> None:
    dlq, source = queues.dlq, queues.source

    def unreachable(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "denied"}}, "SendMessageBatch")

    monkeypatch.setattr(sqs, "send_message_batch", unreachable)
    with pytest.raises(ClientError):
        redrive.move_by_hand(sqs, dlq, source, limit=25, progress=lambda _: None)
    assert everything_in(sqs, dlq) == 25


@pytest.mark.usefixtures("no_move_tasks")
def test_cli_falls_back_where_move_tasks_are_missing(queues: Queues, capsys: pytest.CaptureFixture) -> None:
    dlq, source = queues.dlq, queues.source
    assert redrive.main(["--from", dlq, "--to", source]) == 0
    assert capsys.readouterr().out == f"moved 25 messages from {dlq} to {source} (receive, send, delete)\n"


@pytest.mark.usefixtures("no_move_tasks")
def test_cli_dry_run_counts_and_moves_nothing(sqs: Any, queues: Queues, capsys: pytest.CaptureFixture) -> None:
    dlq, source = queues.dlq, queues.source
    assert redrive.main(["--from", dlq, "--to", source, "--dry-run"]) == 0
    assert capsys.readouterr().out.startswith(f"25 messages wait in {dlq}")
    assert everything_in(sqs, dlq) == 25


@pytest.mark.usefixtures("no_move_tasks")
def test_cli_errors_are_one_line(capsys: pytest.CaptureFixture) -> None:
    missing = "https://sqs.us-east-1.amazonaws.com/123456789012/missing"
    assert redrive.main(["--from", missing, "--to", missing]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: GetQueueAttributes: ")
    assert err.count("\n") == 1


def stubbed_move_task(statuses: list[dict[str, Any]]) -> tuple[Any, Stubber]:
    """A client whose calls are scripted: a DLQ of 7, a move task that reports the given states."""
    sqs = boto3.client("sqs")
    stub = Stubber(sqs)
    dlq, source = "https://q/dlq", "https://q/source"
    stub.add_response("get_queue_attributes", {"Attributes": {"ApproximateNumberOfMessages": "7"}})
    stub.add_response(
        "get_queue_attributes",
        {"Attributes": {"QueueArn": "arn:dlq"}},
        {"QueueUrl": dlq, "AttributeNames": ["QueueArn"]},
    )
    stub.add_response(
        "get_queue_attributes",
        {"Attributes": {"QueueArn": "arn:src"}},
        {"QueueUrl": source, "AttributeNames": ["QueueArn"]},
    )
    stub.add_response(
        "start_message_move_task", {"TaskHandle": "h"}, {"SourceArn": "arn:dlq", "DestinationArn": "arn:src"}
    )
    for status in statuses:
        stub.add_response("list_message_move_tasks", {"Results": [status]}, {"SourceArn": "arn:dlq", "MaxResults": 1})
    return sqs, stub


def test_the_move_task_is_used_where_offered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redrive, "MOVE_TASK_POLL_SECONDS", 0)
    sqs, stub = stubbed_move_task(
        [
            {"Status": "RUNNING", "ApproximateNumberOfMessagesMoved": 3},
            {"Status": "COMPLETED", "ApproximateNumberOfMessagesMoved": 7},
        ]
    )
    with stub:
        line = redrive.redrive(sqs, "https://q/dlq", "https://q/source", dry_run=False)
    assert line == "moved 7 messages from https://q/dlq to https://q/source (StartMessageMoveTask)"
    stub.assert_no_pending_responses()


def test_a_failed_move_task_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redrive, "MOVE_TASK_POLL_SECONDS", 0)
    sqs, stub = stubbed_move_task(
        [{"Status": "FAILED", "ApproximateNumberOfMessagesMoved": 2, "FailureReason": "AccessDenied"}]
    )
    with stub, pytest.raises(redrive.RedriveError, match="stopped after 2 messages: AccessDenied"):
        redrive.redrive(sqs, "https://q/dlq", "https://q/source", dry_run=False)
