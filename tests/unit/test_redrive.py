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


def make_queues(sqs: Any, bodies: list[str]) -> Queues:
    """A source queue and its DLQ holding the bodies, with an attribute each."""
    source = sqs.create_queue(QueueName="source")["QueueUrl"]
    dlq = sqs.create_queue(QueueName="source-dlq")["QueueUrl"]
    dead_ids = [
        sqs.send_message(QueueUrl=dlq, MessageBody=body, MessageAttributes=ATTRIBUTES)["MessageId"] for body in bodies
    ]
    return Queues(dlq, source, dead_ids)


def large(count: int, size: int) -> list[str]:
    """Distinct bodies of exactly size bytes."""
    return [f"dead {n} ".ljust(size, "x") for n in range(count)]


@pytest.fixture
def queues(sqs: Any) -> Queues:
    """A source queue and its DLQ holding 25 messages with an attribute each."""
    return make_queues(sqs, [f"dead {n}" for n in range(25)])


@pytest.fixture
def calls(sqs: Any, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[str]]]:
    """The redrive's sends and deletes in order, each with the DLQ message ids it moved (a send's: those accepted)."""
    log: list[tuple[str, list[str]]] = []
    id_of_receipt: dict[str, str] = {}
    real_receive, real_send, real_delete = sqs.receive_message, sqs.send_message_batch, sqs.delete_message_batch

    def receive(**kwargs: Any) -> dict:
        response = real_receive(**kwargs)
        id_of_receipt.update({m["ReceiptHandle"]: m["MessageId"] for m in response.get("Messages", [])})
        return response

    def send(**kwargs: Any) -> dict:
        response = real_send(**kwargs)
        first_id = {
            e["Id"]: e["MessageAttributes"][redrive.ORIGINAL_MESSAGE_ID]["StringValue"] for e in kwargs["Entries"]
        }
        log.append(("send", [first_id[e["Id"]] for e in response.get("Successful", [])]))
        return response

    def delete(**kwargs: Any) -> dict:
        log.append(("delete", [id_of_receipt[e["ReceiptHandle"]] for e in kwargs["Entries"]]))
        return real_delete(**kwargs)

    monkeypatch.setattr(sqs, "receive_message", receive)
    monkeypatch.setattr(sqs, "send_message_batch", send)
    monkeypatch.setattr(sqs, "delete_message_batch", delete)
    return log


def deleted_only_once_sent(calls: list[tuple[str, list[str]]]) -> bool:
    sent: set[str] = set()
    for kind, ids in calls:
        if kind == "send":
            sent.update(ids)
        elif not set(ids) <= sent:
            return False
    return True


@pytest.fixture
def no_move_tasks(sqs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """An endpoint without move tasks (Start- and ListMessageMoveTasks), answering as the local cloud does."""

    def unsupported(**_: Any) -> None:
        error = {"Error": {"Code": "InvalidAction", "Message": "not valid for this endpoint"}}
        raise ClientError(error, "StartMessageMoveTask")

    monkeypatch.setattr(redrive.boto3, "client", lambda *_a, **_k: sqs)
    monkeypatch.setattr(sqs, "list_message_move_tasks", unsupported)
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


def test_by_hand_near_limit_messages_all_move_and_none_is_deleted_before_it_was_sent(
    sqs: Any, calls: list[tuple[str, list[str]]]
) -> None:
    # GIVEN ten dead letters of 250 KiB each: one SendMessageBatch of all ten would be 2.5 MiB
    queues = make_queues(sqs, large(10, 250 * 1024))
    progress: list[int] = []
    # WHEN they are moved by hand
    moved = redrive.move_by_hand(sqs, queues.dlq, queues.source, limit=10, progress=progress.append)
    # THEN all arrived intact, the DLQ is empty, and each was deleted only after a send had accepted it
    assert (moved, sum(progress), everything_in(sqs, queues.dlq)) == (10, 10, 0)
    assert sorted(m["Body"] for m in received_all(sqs, queues.source)) == large(10, 250 * 1024)
    assert [len(ids) for kind, ids in calls if kind == "send"] == [4, 4, 2]
    assert deleted_only_once_sent(calls)


def test_by_hand_message_attributes_count_toward_the_batch_limit(sqs: Any, calls: list[tuple[str, list[str]]]) -> None:
    # GIVEN four dead letters whose bodies alone total exactly 1 MiB, the most one call takes
    queues = make_queues(sqs, large(4, 256 * 1024))
    # WHEN they are moved by hand, each with its attributes
    assert redrive.move_by_hand(sqs, queues.dlq, queues.source, limit=4, progress=lambda _: None) == 4
    # THEN the attributes pushed the fourth into a call of its own
    assert [len(ids) for kind, ids in calls if kind == "send"] == [3, 1]
    assert everything_in(sqs, queues.dlq) == 0


def test_by_hand_a_partly_refused_call_deletes_only_what_it_sent_and_the_rest_still_move(
    sqs: Any, calls: list[tuple[str, list[str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN ten large dead letters, received at once and sent in three calls, the first refusing one entry
    queues = make_queues(sqs, large(10, 250 * 1024))
    recorded_send = sqs.send_message_batch
    refused_ids: list[str] = []

    def refuse_one_in_the_first_call(**kwargs: Any) -> dict:
        if refused_ids:
            return recorded_send(**kwargs)
        refused, *kept = kwargs["Entries"]
        refused_ids.append(refused["MessageAttributes"][redrive.ORIGINAL_MESSAGE_ID]["StringValue"])
        response = recorded_send(QueueUrl=kwargs["QueueUrl"], Entries=kept)
        response["Failed"] = [{"Id": refused["Id"], "SenderFault": True, "Code": "InvalidMessageContents"}]
        return response

    monkeypatch.setattr(sqs, "send_message_batch", refuse_one_in_the_first_call)
    # WHEN a redrive runs
    with pytest.raises(redrive.RedriveError, match=r"moved 9, but the source queue refused 1 messages"):
        redrive.move_by_hand(sqs, queues.dlq, queues.source, limit=10, progress=lambda _: None)
    # THEN the other nine moved, the refused one alone stays in the DLQ, and nothing went before it was sent
    assert (everything_in(sqs, queues.source), everything_in(sqs, queues.dlq)) == (9, 1)
    assert refused_ids[0] not in {i for _, ids in calls for i in ids}
    assert deleted_only_once_sent(calls)


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


DLQ, SOURCE = "https://q/dlq", "https://q/source"
# A task of an earlier redrive of the same DLQ, still listed.
EARLIER_TASK = {"Status": "COMPLETED", "ApproximateNumberOfMessagesMoved": 99, "StartedTimestamp": 100}
LISTED = {"SourceArn": "arn:dlq", "MaxResults": 10}


def ours(status: str, moved: int, **more: Any) -> dict[str, Any]:
    """This run's task as ListMessageMoveTasks shows it: with its handle only while it runs."""
    handle = {"TaskHandle": "h"} if status == "RUNNING" else {}
    return {"Status": status, "ApproximateNumberOfMessagesMoved": moved, "StartedTimestamp": 200, **handle, **more}


def stubbed_move_task(listings: list[list[dict[str, Any]]]) -> tuple[Any, Stubber]:
    """A client whose calls are scripted: a DLQ of 7 with an earlier task listed, then a move task listed as given."""
    sqs = boto3.client("sqs")
    stub = Stubber(sqs)
    stub.add_response("get_queue_attributes", {"Attributes": {"ApproximateNumberOfMessages": "7"}})
    stub.add_response(
        "get_queue_attributes",
        {"Attributes": {"QueueArn": "arn:dlq"}},
        {"QueueUrl": DLQ, "AttributeNames": ["QueueArn"]},
    )
    stub.add_response(
        "get_queue_attributes",
        {"Attributes": {"QueueArn": "arn:src"}},
        {"QueueUrl": SOURCE, "AttributeNames": ["QueueArn"]},
    )
    stub.add_response("list_message_move_tasks", {"Results": [EARLIER_TASK]}, LISTED)
    stub.add_response(
        "start_message_move_task", {"TaskHandle": "h"}, {"SourceArn": "arn:dlq", "DestinationArn": "arn:src"}
    )
    for listing in listings:
        stub.add_response("list_message_move_tasks", {"Results": listing}, LISTED)
    return sqs, stub


@pytest.mark.parametrize(
    "listings",
    [
        pytest.param(
            [[EARLIER_TASK], [ours("RUNNING", 3), EARLIER_TASK], [ours("COMPLETED", 7), EARLIER_TASK]],
            id="followed-while-running",
        ),
        pytest.param([[ours("COMPLETED", 7), EARLIER_TASK]], id="ended-before-the-first-look"),
    ],
)
def test_the_move_task_started_is_followed_not_an_earlier_one(
    listings: list[list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an endpoint with move tasks that still lists an earlier, completed task of the same DLQ
    monkeypatch.setattr(redrive, "MOVE_TASK_POLL_SECONDS", 0)
    sqs, stub = stubbed_move_task(listings)
    # WHEN a redrive starts a task and follows it
    with stub:
        line = redrive.redrive(sqs, DLQ, SOURCE, dry_run=False)
    # THEN it reports its own task's count once that task completed, not the earlier task's
    assert line == f"moved 7 messages from {DLQ} to {SOURCE} (StartMessageMoveTask)"
    stub.assert_no_pending_responses()


def test_a_failed_move_task_is_reported_with_its_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redrive, "MOVE_TASK_POLL_SECONDS", 0)
    sqs, stub = stubbed_move_task(
        [[ours("RUNNING", 1), EARLIER_TASK], [ours("FAILED", 2, FailureReason="AccessDenied"), EARLIER_TASK]]
    )
    with stub, pytest.raises(redrive.RedriveError, match="stopped after 2 messages: AccessDenied"):
        redrive.redrive(sqs, DLQ, SOURCE, dry_run=False)


def test_a_move_task_past_the_deadline_is_one_line_saying_how_to_check(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    # GIVEN a move task still running when the deadline passes
    monkeypatch.setattr(redrive, "MOVE_TASK_DEADLINE_SECONDS", 0)
    sqs, stub = stubbed_move_task([[ours("RUNNING", 3), EARLIER_TASK]])
    monkeypatch.setattr(redrive.boto3, "client", lambda *_a, **_k: sqs)
    # WHEN the CLI follows it
    with stub:
        status = redrive.main(["--from", DLQ, "--to", SOURCE])
    # THEN it stops with one line: the task may still run, and the command that shows it
    err = capsys.readouterr().err.splitlines()[-1]
    assert status == 1
    assert err.startswith("error: the move task had not ended after 0 s (3 messages moved) and may still be running")
    assert err.endswith("check with: aws sqs list-message-move-tasks --source-arn arn:dlq")
