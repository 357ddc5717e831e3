"""Lambda.

Direct invocations of the probe, and of its twin whose zip lacks a dependency.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from tests.contract.probe import ProbeStack
from tests.live.pipeline import poll

pytestmark = pytest.mark.contract

RUNTIME = "python3.12"
LOGS_SECONDS = 60.0
# MiniStack's proxy mode reports every error of a proxied function as this, with ours inside.
PROXY_ERROR = re.compile(r"^Proxy target returned HTTP \d+: (?P<inner>\{.*\})$", re.DOTALL)


@dataclass(frozen=True)
class Invocation:
    payload: Any
    function_error: str | None
    request_id: str


def invoke(lambda_client: Any, function_name: str, event: Any) -> Invocation:
    response = lambda_client.invoke(FunctionName=function_name, Payload=json.dumps(event))
    return Invocation(
        payload=json.loads(response["Payload"].read() or b"null"),
        function_error=response.get("FunctionError"),
        request_id=response["ResponseMetadata"]["RequestId"],
    )


@pytest.fixture(scope="module")
def echoed(lambda_client: Any, probe: ProbeStack) -> Invocation:
    """One echo of the probe: its event, context, environment and Python version."""
    return invoke(lambda_client, probe.probe_function_name, {"probe": "echo"})


@pytest.fixture(scope="module")
def configuration(lambda_client: Any, probe: ProbeStack) -> dict[str, Any]:
    return lambda_client.get_function_configuration(FunctionName=probe.probe_function_name)


def test_the_runtime_sets_its_documented_environment_variables(
    echoed: Invocation, configuration: dict[str, Any]
) -> None:
    """The function sees the runtime's reserved environment variables, with the function's values.

    AWS: the runtime sets _HANDLER, AWS_REGION, AWS_DEFAULT_REGION, AWS_EXECUTION_ENV, AWS_LAMBDA_FUNCTION_NAME,
    ..._MEMORY_SIZE, ..._VERSION, AWS_LAMBDA_INITIALIZATION_TYPE, AWS_LAMBDA_LOG_GROUP_NAME, ..._LOG_STREAM_NAME,
    the execution role's credentials, LAMBDA_TASK_ROOT (the working directory), LAMBDA_RUNTIME_DIR and TZ=:UTC.
    """
    environ = echoed.payload["environ"]
    region = configuration["FunctionArn"].split(":")[3]
    name = configuration["FunctionName"]

    assert {k: environ.get(k) for k in ("_HANDLER", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV")} == {
        "_HANDLER": configuration["Handler"],
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{RUNTIME}",
    }
    assert {
        k: environ.get(f"AWS_LAMBDA_{k}") for k in ("FUNCTION_NAME", "FUNCTION_MEMORY_SIZE", "FUNCTION_VERSION")
    } == {
        "FUNCTION_NAME": name,
        "FUNCTION_MEMORY_SIZE": str(configuration["MemorySize"]),
        "FUNCTION_VERSION": "$LATEST",
    }
    assert environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "on-demand"
    assert environ.get("AWS_LAMBDA_LOG_GROUP_NAME") == f"/aws/lambda/{name}"
    assert environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
    assert {environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")} == {"<set>"}
    assert environ.get("LAMBDA_TASK_ROOT") == echoed.payload["cwd"]
    assert environ.get("LAMBDA_RUNTIME_DIR")
    assert environ.get("TZ") == ":UTC"


def test_the_runtime_api_address_is_set(echoed: Invocation) -> None:
    """The function sees AWS_LAMBDA_RUNTIME_API, the host:port of the Runtime API.

    AWS: AWS_LAMBDA_RUNTIME_API is a reserved variable set for every runtime (custom runtimes and extensions use it).
    """
    assert re.fullmatch(r"[\w.-]+:\d+", echoed.payload["environ"].get("AWS_LAMBDA_RUNTIME_API", ""))


def test_the_context_object_describes_the_invocation(echoed: Invocation, configuration: dict[str, Any]) -> None:
    """The context object carries the request id, the function's identity, memory, log names and remaining time.

    AWS: the Python runtime's context has aws_request_id, function_name, function_version, invoked_function_arn,
    memory_limit_in_mb (a string), log_group_name, log_stream_name and get_remaining_time_in_millis().
    """
    context = echoed.payload["context"]
    environ = echoed.payload["environ"]

    assert uuid.UUID(context["aws_request_id"])
    assert {k: context[k] for k in ("function_name", "function_version", "invoked_function_arn")} == {
        "function_name": configuration["FunctionName"],
        "function_version": "$LATEST",
        "invoked_function_arn": configuration["FunctionArn"],
    }
    assert context["memory_limit_in_mb"] == str(configuration["MemorySize"])
    assert (context["log_group_name"], context["log_stream_name"]) == (
        environ["AWS_LAMBDA_LOG_GROUP_NAME"],
        environ["AWS_LAMBDA_LOG_STREAM_NAME"],
    )
    assert 0 < context["remaining_time_in_millis"] <= configuration["Timeout"] * 1000


@pytest.mark.local_differs
def test_invoke_answers_with_the_invocations_request_id(echoed: Invocation) -> None:
    """Invoke's x-amzn-RequestId is the aws_request_id the function saw.

    AWS: the request id of an Invoke call is the invocation's, the one in context.aws_request_id and the
    START/END/REPORT log lines.

    Local cloud: Invoke answers with the HTTP request's own id (ministack/app.py:3206) while the invocation gets
    another (ministack/services/lambda_svc.py:5188), which our runner receives as the context's aws_request_id

    Handling: nothing in the pipeline correlates Invoke responses with logs; find an invocation by its log lines
    """
    assert echoed.request_id == echoed.payload["context"]["aws_request_id"]


def test_the_function_runs_on_the_runtimes_python(echoed: Invocation) -> None:
    """The handler runs under the runtime's Python version.

    AWS: the python3.12 runtime runs Python 3.12.
    """
    assert echoed.payload["python"].startswith("3.12.")


def test_a_timeout_ends_the_invocation_with_sandbox_timedout(lambda_client: Any, probe: ProbeStack) -> None:
    """An invocation running past the timeout is stopped and fails with Sandbox.Timedout.

    AWS: Invoke answers FunctionError Unhandled and {"errorType": "Sandbox.Timedout", "errorMessage":
    "RequestId: <id> Error: Task timed out after N.00 seconds"}.
    """
    timeout = lambda_client.get_function_configuration(FunctionName=probe.probe_function_name)["Timeout"]

    timed_out = invoke(lambda_client, probe.probe_function_name, {"probe": "sleep", "seconds": timeout + 5})

    assert timed_out.function_error == "Unhandled"
    assert timed_out.payload["errorType"] == "Sandbox.Timedout"
    assert timed_out.payload["errorMessage"].endswith(f"Task timed out after {timeout}.00 seconds")


@pytest.mark.local_differs
def test_the_timeout_error_names_the_request(lambda_client: Any, probe: ProbeStack) -> None:
    """The timeout's errorMessage starts with the invocation's request id.

    AWS: "RequestId: <id> Error: Task timed out after N.00 seconds".

    Local cloud: the proxy mode's own timeout message is 'Task timed out after N.00 seconds', without 'RequestId:
    <id> Error: ' (ministack/services/lambda_svc.py:5356)

    Handling: the runner answers a timeout only after MiniStack gave up, so errorType is always Sandbox.Timedout
    """
    timeout = lambda_client.get_function_configuration(FunctionName=probe.probe_function_name)["Timeout"]

    timed_out = invoke(lambda_client, probe.probe_function_name, {"probe": "sleep", "seconds": timeout + 5})

    assert re.fullmatch(
        rf"RequestId: [0-9a-f-]{{36}} Error: Task timed out after {timeout}\.00 seconds",
        timed_out.payload["errorMessage"],
    )


@pytest.mark.local_differs
def test_an_unhandled_exception_comes_back_in_the_runtimes_error_shape(lambda_client: Any, probe: ProbeStack) -> None:
    """An exception the handler does not catch fails the invocation with the runtime's error document.

    AWS: FunctionError Unhandled and {"errorMessage", "errorType" (the exception's class name), "requestId",
    "stackTrace" (list of frames)}.

    Local cloud: a proxied function's error becomes errorType Runtime.HandlerError, errorMessage 'Proxy target
    returned HTTP 500: <the runtime's error JSON>' (ministack/services/lambda_svc.py:5368)

    Handling: nothing in the pipeline reads Invoke errors; the document inside, and the [ERROR] lines in the log,
    are those of AWS's runtime client (awslambdaric), which our runner runs
    """
    failed = invoke(lambda_client, probe.probe_function_name, {"probe": "raise", "message": "boom"})

    assert failed.function_error == "Unhandled"
    assert set(failed.payload) == {"errorMessage", "errorType", "requestId", "stackTrace"}
    assert (failed.payload["errorType"], failed.payload["errorMessage"]) == ("ProbeError", "boom")
    assert any("app.py" in frame for frame in failed.payload["stackTrace"])


def runtime_error(payload: dict[str, Any]) -> dict[str, Any]:
    """The runtime's error document, looking through the local proxy mode's wrapper (its own behaviour, above)."""
    wrapped = PROXY_ERROR.match(payload.get("errorMessage", ""))
    return json.loads(wrapped["inner"]) if wrapped else payload


def test_a_dependency_missing_from_the_zip_fails_with_import_module_error(
    lambda_client: Any, probe: ProbeStack
) -> None:
    """A handler importing a package its zip lacks fails every invocation with Runtime.ImportModuleError.

    AWS: the function sees only its zip and the runtime's SDK; a failed import at init is reported as
    Runtime.ImportModuleError "Unable to import module '<module>': No module named '<package>'".
    """
    failed = invoke(lambda_client, probe.missing_dependency_function_name, {})

    assert failed.function_error == "Unhandled"
    error = runtime_error(failed.payload)
    assert error["errorType"] == "Runtime.ImportModuleError"
    assert error["errorMessage"] == "Unable to import module 'missing_dependency': No module named 'yaml'"


def invocation_lines(logs_client: Any, group: str, marker: str) -> list[str] | None:
    """START, the marker, END and REPORT of the invocation that printed marker, once all have arrived."""
    found = logs_client.filter_log_events(logGroupName=group, filterPattern=f'"{marker}"')["events"]
    if not found:
        return None
    stream = logs_client.filter_log_events(logGroupName=group, logStreamNames=[found[0]["logStreamName"]])["events"]
    lines = [event["message"].rstrip("\n") for event in stream]
    at = next(n for n, line in enumerate(lines) if marker in line)
    start = next((line for line in reversed(lines[:at]) if line.startswith("START RequestId: ")), None)
    if start is None:
        return None
    request_id = start.split()[2]
    end = next((line for line in lines[at:] if line.startswith(f"END RequestId: {request_id}")), None)
    report = next((line for line in lines[at:] if line.startswith(f"REPORT RequestId: {request_id}\t")), None)
    return [start, lines[at], end, report] if end and report else None


def test_the_function_logs_reach_its_log_group_between_start_and_report(
    lambda_client: Any, logs_client: Any, probe: ProbeStack
) -> None:
    """What the handler prints reaches /aws/lambda/<name>, between the START and END/REPORT lines of its request.

    AWS: Lambda writes each invocation's output to the function's log group, framed by "START RequestId: <id>",
    "END RequestId: <id>" and "REPORT RequestId: <id>\tDuration: ..." (make logs reads them).
    """
    marker = f"probe-log-{uuid.uuid4().hex}"

    invoke(lambda_client, probe.probe_function_name, {"probe": "noop", "log": marker})

    lines = poll(
        lambda: invocation_lines(logs_client, f"/aws/lambda/{probe.probe_function_name}", marker), LOGS_SECONDS
    )
    assert lines, f"no START, {marker}, END and REPORT in the log group within {LOGS_SECONDS} s"
    assert lines[1] == marker
    assert lines[3].split("\t")[1].startswith("Duration: ")


def json_records(logs_client: Any, group: str, request_id: str) -> dict[str, dict[str, Any]] | None:
    """The invocation's JSON log records by kind (its INFO record, platform.start and .report), once all arrived."""
    events = logs_client.filter_log_events(logGroupName=group, filterPattern=f'"{request_id}"')["events"]
    records: dict[str, dict[str, Any]] = {}
    for event in events:
        try:
            record = json.loads(event["message"])
        except ValueError:
            continue
        if isinstance(record, dict):
            records[record.get("type") or record.get("level", "")] = record
    return records if {"INFO", "platform.start", "platform.report"} <= set(records) else None


def test_the_json_log_format_makes_structured_records_with_the_request_id(
    lambda_client: Any, logs_client: Any, probe: ProbeStack
) -> None:
    """With LoggingConfig LogFormat JSON, log records and Lambda's own lines reach the log group as JSON objects.

    AWS: the runtime writes each logging call as {"timestamp", "level", "message", "logger", "requestId"}, at or above
    the application log level (INFO by default); START and REPORT become {"time", "type": "platform.start" |
    "platform.report", "record": {"requestId", ...}}, REPORT's with its metrics.
    """
    marker = f"json-log-{uuid.uuid4().hex}"

    logged = invoke(lambda_client, probe.json_logs_function_name, {"probe": "log", "log": marker})

    request_id = logged.payload["requestId"]
    records = poll(
        lambda: json_records(logs_client, f"/aws/lambda/{probe.json_logs_function_name}", request_id), LOGS_SECONDS
    )
    assert records, f"no JSON record, platform.start and platform.report of {request_id} within {LOGS_SECONDS} s"
    own = records["INFO"]
    assert {k: own.get(k) for k in ("level", "message", "logger", "requestId")} == {
        "level": "INFO",
        "message": marker,
        "logger": "root",
        "requestId": request_id,
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", own["timestamp"])
    assert records["platform.start"]["record"]["requestId"] == request_id
    report = records["platform.report"]["record"]
    assert report["requestId"] == request_id
    assert {"durationMs", "billedDurationMs", "memorySizeMB", "maxMemoryUsedMB"} <= set(report["metrics"])
