"""The deployed stack's security: no secrets in outputs, configuration or logs; throttling on; loopback only."""

from __future__ import annotations

import json
import re
import socket
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from localcloud.ministack import server_pid
from localcloud.processes import descendants
from localcloud.runner_process import runner_pid
from localcloud.settings import Settings
from tests.conftest import REPO_ROOT
from tests.live.stack import Stack, api_id_and_stage, terraform_outputs

pytestmark = pytest.mark.integration

# Access key ids (long-term AKIA, temporary ASIA) and the names credentials travel under.
CREDENTIAL_PATTERN = re.compile(
    r"\b(AKIA|ASIA)[A-Z0-9]{16}\b|aws_secret_access_key|aws_session_token|SecretAccessKey|SessionToken", re.IGNORECASE
)
SECRET_NAME_PATTERN = re.compile(r"SECRET|PASSWORD|TOKEN|PRIVATE|CREDENTIAL|API_?KEY", re.IGNORECASE)
LOG_WINDOW_MS = 60 * 60 * 1000


def test_outputs_hold_no_secrets() -> None:
    outputs = terraform_outputs()
    assert outputs, "no outputs: is a stack deployed?"
    # The API key (null, so absent, unless api_authorization is API_KEY) is the one secret, and terraform only
    # shows it when asked by name (terraform output -raw api_key)
    assert {name for name, spec in outputs.items() if spec.get("sensitive")} <= {"api_key"}
    leaks = {name for name, spec in outputs.items() if CREDENTIAL_PATTERN.search(str(spec["value"]))}
    assert not leaks
    key = outputs.get("api_key", {}).get("value")
    if key:
        assert outputs["api_key"]["sensitive"]
        assert not [name for name, spec in outputs.items() if name != "api_key" and key in json.dumps(spec["value"])]


def test_the_deploy_log_holds_no_api_key(stack: Stack) -> None:
    # GIVEN the logs make wrote for this worktree's deploys (plan, apply, destroy)
    logs = list((REPO_ROOT / "build" / "logs").glob("*.log"))
    # THEN none holds the API key (terraform prints <sensitive> in its place)
    if stack.api_key:
        assert not [path.name for path in logs if stack.api_key in path.read_text(errors="replace")]


def test_function_configuration_holds_no_secrets(stack: Stack, lambda_client: Any) -> None:
    for name in (stack.process_function_name, stack.outbox_function_name):
        variables = lambda_client.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
        assert not [key for key in variables if SECRET_NAME_PATTERN.search(key)], name
        assert not [key for key, value in variables.items() if CREDENTIAL_PATTERN.search(value)], name


def test_logs_hold_no_credentials(stack: Stack, logs: Any) -> None:
    # GIVEN every log group of the stack: both functions' and the API's access log (named by the stage)
    groups = [f"/aws/lambda/{stack.process_function_name}", f"/aws/lambda/{stack.outbox_function_name}"]
    groups.append(access_log_group(stack))
    # WHEN their last hour is read (the suites have just made the functions log, fail and time out)
    since = int(time.time() * 1000) - LOG_WINDOW_MS
    leaks = []
    for group in groups:
        try:
            pages = logs.get_paginator("filter_log_events").paginate(logGroupName=group, startTime=since)
            events = [event for page in pages for event in page["events"]]
        except logs.exceptions.ResourceNotFoundException:
            continue
        leaks += [f"{group}: {e['message'][:120]}" for e in events if CREDENTIAL_PATTERN.search(e["message"])]
        if stack.api_key:
            leaks += [f"{group}: the API key in {e['logStreamName']}" for e in events if stack.api_key in e["message"]]
    # THEN no line holds an access key id, a credential's name or the API key
    assert not leaks


def deployed_stage(stack: Stack) -> dict[str, Any]:
    api_id, stage = api_id_and_stage(stack.api_url)
    return boto3.client("apigateway", region_name=stack.region).get_stage(restApiId=api_id, stageName=stage)


def access_log_group(stack: Stack) -> str:
    """The stage's access log group, from its destination ARN (arn:...:log-group:<name>[:*])."""
    destination = deployed_stage(stack)["accessLogSettings"]["destinationArn"]
    return destination.split(":log-group:", 1)[1].removesuffix(":*")


def test_the_stage_throttles_requests(stack: Stack) -> None:
    settings = deployed_stage(stack)["methodSettings"]["*/*"]
    assert settings["throttlingRateLimit"] > 0
    assert settings["throttlingBurstLimit"] > 0


@pytest.mark.localonly
def test_the_local_cloud_listens_on_loopback_only() -> None:
    # GIVEN the local cloud of this run: MiniStack, our runner, and every process they started
    settings = Settings.from_env()
    roots = [pid for pid in (server_pid(settings), runner_pid(settings)) if pid is not None]
    assert len(roots) == 2, f"MiniStack and the runner must both run on port {settings.port}"
    family = {pid for root in roots for pid in (root, *descendants(root))}
    # WHEN their listening sockets are looked up in the kernel's tables
    listening = listening_sockets(family)
    # THEN the gateway and the runner listen, and nothing of theirs listens beyond 127.0.0.1
    assert {("127.0.0.1", settings.port), ("127.0.0.1", settings.runner_port)} <= listening
    assert {address for address, _ in listening} == {"127.0.0.1"}
    # AND the gateway cannot be reached on this machine's other addresses
    for address in other_addresses():
        with socket.socket() as probe:
            probe.settimeout(1)
            assert probe.connect_ex((address, settings.port)) != 0, f"port {settings.port} answers on {address}"


def listening_sockets(pids: set[int]) -> set[tuple[str, int]]:
    """(address, port) of every TCP socket in LISTEN state owned by one of the processes."""
    inodes = set()
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").glob("*"):
            try:
                target = fd.readlink().as_posix()
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    found = set()
    for table, decode in (("/proc/net/tcp", ipv4), ("/proc/net/tcp6", ipv6)):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and inode in inodes:  # 0A: LISTEN
                address, port = local.split(":")
                found.add((decode(address), int(port, 16)))
    return found


def ipv4(hex_address: str) -> str:
    return socket.inet_ntop(socket.AF_INET, bytes.fromhex(hex_address)[::-1])


def ipv6(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)
    return socket.inet_ntop(socket.AF_INET6, b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4)))


def other_addresses() -> set[str]:
    """This machine's IPv4 addresses other than loopback, as its name resolves."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return set()
    return {info[4][0] for info in infos if not info[4][0].startswith("127.")}
