"""The pre-flight check of `make deploy TARGET=aws`: API Gateway's CloudWatch role, against moto."""

from __future__ import annotations

import boto3
import pytest

from tools.api_gateway_account import main


def test_an_account_without_the_role_fails_with_one_line_naming_the_fix(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--region", "eu-west-1"]) == 1

    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert "has no CloudWatch Logs role" in err
    assert "make account-setup TARGET=aws REGION=eu-west-1" in err


def test_an_account_with_the_role_prints_it(capsys: pytest.CaptureFixture[str]) -> None:
    role = "arn:aws:iam::123456789012:role/apigateway-cloudwatch-logs-eu-west-1"
    boto3.client("apigateway", region_name="eu-west-1").update_account(
        patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}]
    )

    assert main(["--region", "eu-west-1"]) == 0
    assert capsys.readouterr().out.strip() == role
