"""The output queue denied to the processing function by IAM: the denial AWS gives, retries, then the DLQ."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.faults.conftest import Bench
from tests.live.accounting import DEAD_LETTER, EITHER, RESULT, Ledger, message, post_all
from tests.live.controls import await_log, execution_role, now_ms, policy_without
from tests.live.stack import Stack

pytestmark = pytest.mark.faults


def sends_to_queues(action: str) -> bool:
    """sqs:SendMessage, and on the local target its sqs:SendMessageBatch alias (sqs_batch_action_aliases)."""
    return action.startswith("sqs:SendMessage")


def denied_send(lines: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next(
        (line for line in lines if line.get("message") == "sending results failed" and "AccessDenied" in line["error"]),
        None,
    )


def assert_send_denied_as_on_aws(stack: Stack, role_arn: str) -> None:
    """With the role's own credentials, SendMessage gets AWS's answer: 403 AccessDenied naming the role and action."""
    credentials = boto3.client("sts", region_name=stack.region).assume_role(
        RoleArn=role_arn, RoleSessionName="fault-iam"
    )["Credentials"]
    as_role = boto3.client(
        "sqs",
        region_name=stack.region,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    with pytest.raises(ClientError) as denied:
        as_role.send_message(QueueUrl=stack.output_queue_url, MessageBody="denied")
    error = denied.value.response["Error"]
    assert (error["Code"], denied.value.response["ResponseMetadata"]["HTTPStatusCode"]) == ("AccessDenied", 403)
    assert f"assumed-role/{role_arn.rsplit('/', 1)[1]}/fault-iam" in error["Message"]
    assert "is not authorized to perform: sqs:sendmessage" in error["Message"].lower()


def test_output_queue_denied_by_iam_sends_records_to_the_dlq(bench: Bench, iam: Any) -> None:
    stack, lambda_client = bench.stack, bench.lambda_client
    role_name, policy_name = execution_role(iam, lambda_client, stack.process_function_name)
    role_arn = lambda_client.get_function_configuration(FunctionName=stack.process_function_name)["Role"]
    denied = Ledger("iam-denied")
    # GIVEN the processing function's role no longer allows sending to the output queue
    with policy_without(iam, role_name, policy_name, sends_to_queues):
        if stack.is_local:
            # (AWS's trust policy lets only Lambda assume the role; there the function's own log shows it below.)
            assert_send_denied_as_on_aws(stack, role_arn)
        # WHEN messages arrive: a first one until the function itself meets the denial (IAM takes seconds on AWS)
        since = now_ms()
        post_all(stack, denied, [(message("iam canary"), EITHER)])
        denial = await_log(bench.logs, stack.process_function_name, since, denied_send, bench.dead_letter_seconds)
        assert denial is not None, "the function never met an AccessDenied sending its results"
        assert [
            r.status_code for r in post_all(stack, denied, [(message(f"denied {n}"), DEAD_LETTER) for n in range(10)])
        ] == [200] * 10
        # THEN each is retried and ends in the input DLQ, none lost, none delivered
        report = bench.account(denied, "output queue denied by IAM")
    assert report.dead_lettered == len(denied.accepted)
    # AND once the policy is back, messages are delivered again
    restored = Ledger("iam-restored")
    post_all(stack, restored, [(message(f"restored {n}"), RESULT) for n in range(3)])
    bench.account(restored, "output queue allowed again")
