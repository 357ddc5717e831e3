"""Say whether API Gateway has its CloudWatch Logs role in an account and region.

Stage logging (access logs and execution logging) fails on an account whose
API Gateway settings name no CloudWatch role ("CloudWatch Logs role ARN must
be set in account settings to enable logging"), after much of the stack has
been created. `make deploy TARGET=aws` asks first and stops with one line;
`make account-setup` uses the answer to leave a role someone else set alone.
"""

from __future__ import annotations

import argparse
import sys

import boto3
from botocore.exceptions import BotoCoreError, ClientError


def cloudwatch_role_arn(region: str) -> str | None:
    """The role API Gateway writes CloudWatch Logs with in the region, if any."""
    return boto3.client("apigateway", region_name=region).get_account().get("cloudwatchRoleArn") or None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.api_gateway_account", description=__doc__)
    parser.add_argument("--region", required=True)
    args = parser.parse_args(argv)
    try:
        role = cloudwatch_role_arn(args.region)
    except (BotoCoreError, ClientError) as err:
        print(f"error: cannot read API Gateway's account settings in {args.region}: {err}", file=sys.stderr)
        return 2
    if role is None:
        print(
            f"error: API Gateway in {args.region} has no CloudWatch Logs role, which stage logging needs: "
            f"run `make account-setup TARGET=aws REGION={args.region}` once per account and region (docs/aws.md)",
            file=sys.stderr,
        )
        return 1
    print(role)
    return 0


if __name__ == "__main__":
    sys.exit(main())
