"""The contract suite's probe: one Lambda function whose behaviour its event selects.

A direct invocation carries a command, {"probe": <name>, ...}:
  echo    returns the event, the context object's fields, the environment, the Python version and
          the working directory
  sleep   sleeps `seconds` (past the timeout, to see how the invocation ends)
  raise   raises ProbeError(`message`)
  return  returns `value` as it is (e.g. a malformed API Gateway proxy response)
  noop    returns null, printing `log` first when given (invoke overhead)
  log     logs `log` through the standard logging module at INFO, returns the request id
An API Gateway proxy event carries the command as its JSON body (none: echo); an echo is
wrapped in a 200 proxy response, a `return` value is returned unwrapped.
An SQS batch carries one command per record body: every batch is reported to
the queue named by `record_to`, then answered with the literal `reply` if
given, by raising if `fail_batch` is set, or else by reporting as failed the records
received no more than `fail_times` times.

Standard library only, and boto3 from the runtime, imported when first needed,
so an invocation that records nothing costs what an empty handler costs.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import time
from typing import Any

# Credentials are reported as present, never echoed.
SECRET_VARIABLES = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}
_sqs: Any = None


class ProbeError(Exception):
    """The exception a `raise` command asks for."""


def sqs_client() -> Any:
    global _sqs
    if _sqs is None:
        import boto3

        _sqs = boto3.client("sqs")
    return _sqs


def context_fields(context: Any) -> dict[str, Any]:
    return {
        "aws_request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining_time_in_millis": context.get_remaining_time_in_millis(),
    }


def echo(event: Any, context: Any) -> dict[str, Any]:
    return {
        "event": event,
        "context": context_fields(context),
        "environ": {k: ("<set>" if k in SECRET_VARIABLES else v) for k, v in os.environ.items()},
        "python": platform.python_version(),
        "cwd": os.getcwd(),
    }


def run(command: dict[str, Any], event: Any, context: Any) -> Any:
    action = command.get("probe")
    if action == "echo":
        return echo(event, context)
    if action == "sleep":
        time.sleep(float(command["seconds"]))
        return {"slept": command["seconds"]}
    if action == "raise":
        raise ProbeError(command.get("message", "raised on request"))
    if action == "return":
        return command.get("value")
    if action == "log":
        logging.getLogger().info(command["log"])
        return {"requestId": context.aws_request_id}
    if action == "noop":
        if "log" in command:
            print(command["log"])
        return None
    raise ProbeError(f"unknown probe command {action!r}")


def on_request(event: dict[str, Any], context: Any) -> Any:
    command = json.loads(event.get("body") or '{"probe": "echo"}')
    if command.get("probe") == "return":
        return command.get("value")
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(run(command, event, context)),
    }


def parse_command(body: str) -> dict[str, Any]:
    try:
        command = json.loads(body)
    except ValueError:
        return {}
    return command if isinstance(command, dict) else {}


def on_batch(records: list[dict[str, Any]], context: Any) -> Any:
    commands = [parse_command(record["body"]) for record in records]
    first = next((c for c in commands if c), {})
    if "record_to" in first:
        report = {"requestId": context.aws_request_id, "records": records}
        sqs_client().send_message(QueueUrl=first["record_to"], MessageBody=json.dumps(report))
    if "reply" in first:
        return first["reply"]
    if first.get("fail_batch"):
        raise ProbeError(f"failing the whole batch of {len(records)} records on request")
    failed = [
        record["messageId"]
        for record, command in zip(records, commands, strict=True)
        if int(record["attributes"]["ApproximateReceiveCount"]) <= int(command.get("fail_times", 0))
    ]
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}


def handler(event: Any, context: Any) -> Any:
    if isinstance(event, dict) and "Records" in event:
        return on_batch(event["Records"], context)
    if isinstance(event, dict) and "httpMethod" in event:
        return on_request(event, context)
    return run(event if isinstance(event, dict) else {}, event, context)
