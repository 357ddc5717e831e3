"""make debug's lifted timeouts, on moto: raised for the session, put back after it, even after a crash."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest

from localcloud import debug
from localcloud.inner_loop import restore_leftover
from localcloud.settings import Settings

FUNCTION = "inbox-pipeline-process-input-queue"


def code() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


@pytest.fixture
def deployed() -> tuple[Any, Any, str]:
    """A function with a 10 s timeout fed by a queue with a 60 s visibility timeout, as the stack's defaults."""
    lam, sqs, iam = boto3.client("lambda"), boto3.client("sqs"), boto3.client("iam")
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:*"}]}
    role = iam.create_role(RoleName="exec", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    lam.create_function(
        FunctionName=FUNCTION,
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": code()},
        Timeout=10,
    )
    url = sqs.create_queue(QueueName="inbox-pipeline-input", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=FUNCTION, BatchSize=10)
    return lam, sqs, url


def current(lam: Any, sqs: Any, url: str) -> tuple[int, str]:
    timeout = lam.get_function_configuration(FunctionName=FUNCTION)["Timeout"]
    return timeout, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"][
        "VisibilityTimeout"
    ]


def test_the_session_lifts_the_timeouts_and_puts_them_back(deployed: tuple[Any, Any, str], tmp_path: Path) -> None:
    lam, sqs, url = deployed
    file = tmp_path / "debug-restore.json"
    lifted = debug.lift(lam, sqs, FUNCTION, file)
    assert lifted == debug.Lifted(FUNCTION, 10, {url: 60})
    assert current(lam, sqs, url) == (900, "5400")
    assert file.exists()  # written before anything changed
    assert debug.restore(lam, sqs, file) == lifted
    assert current(lam, sqs, url) == (10, "60")
    assert not file.exists()
    assert debug.restore(lam, sqs, file) is None  # nothing left to put back


def test_a_session_that_died_is_put_right_by_the_next_one(
    deployed: tuple[Any, Any, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lam, sqs, url = deployed
    settings = Settings(port=4999, home=tmp_path)
    settings.instance_dir.mkdir(parents=True)
    debug.lift(lam, sqs, FUNCTION, debug.restore_file(settings))  # ... and the session is killed here
    restore_leftover(settings, lam, sqs)
    assert current(lam, sqs, url) == (10, "60")
    assert "put back what an earlier session left lifted" in capsys.readouterr().out
