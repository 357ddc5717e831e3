"""A real local cloud started and stopped through our layer: health, PIDs, no leftovers."""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import random
import socket
import zipfile
from pathlib import Path

import pytest

from localcloud import instance, runner_check, runner_process, stale_state
from localcloud.environments import ensure_runtime_sdk, ensure_venv
from localcloud.errors import LocalCloudError
from localcloud.processes import descendants, pid_alive
from localcloud.settings import REPO_ROOT, Settings

pytestmark = pytest.mark.slow


def free_port_pair() -> int:
    """A port whose successor (the runner's) is free as well, both below Linux's ephemeral range.

    A port the kernel hands out for outgoing connections (32768-60999) can be
    taken by one between this check and the cloud's start, and a client
    connecting to a free ephemeral port can even connect to itself.
    """
    for _ in range(50):
        port = random.randrange(20000, 32000, 2)
        if all(bindable(candidate) for candidate in (port, port + 1)):
            return port
    raise RuntimeError("no free port pair")


def bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # The virtualenvs are the repository's own (built here if missing); the instance files are the test's.
    shared_settings = Settings(home=REPO_ROOT / ".localcloud")
    ensure_venv(shared_settings)
    ensure_runtime_sdk(shared_settings)
    shared = shared_settings.home
    home = tmp_path / "home"
    home.mkdir()
    (home / "venv").symlink_to(shared / "venv", target_is_directory=True)
    (home / "runtime-sdk-3.12").symlink_to(shared / "runtime-sdk-3.12", target_is_directory=True)
    return Settings(port=free_port_pair(), home=home, function_names=("probe-fn",))


def test_up_status_down_leave_nothing_running(settings: Settings) -> None:
    # GIVEN nothing runs
    assert instance.status(settings).running is False
    try:
        # WHEN the local cloud is brought up
        status, started = instance.up(settings)
        # THEN MiniStack answers, the runner runs, and their files sit in the instance folder
        assert started
        assert status.healthy
        assert status.runner_pid is not None
        assert settings.pid_file.exists()
        assert settings.log_file.exists()
        # AND a second up starts nothing new
        again, started_again = instance.up(settings)
        assert not started_again
        assert again.pid == status.pid
        family = [status.pid, status.runner_pid, *descendants(status.pid), *descendants(status.runner_pid)]
    finally:
        # WHEN it is brought down
        stopped = instance.down(settings)
    # THEN every process it started is gone
    assert stopped
    assert not [pid for pid in family if pid_alive(pid)]
    assert instance.status(settings).running is False
    assert instance.down(settings) is False


def test_a_failed_up_stops_only_what_it_started(settings: Settings) -> None:
    # GIVEN a local cloud running without the runner, and the runner's port taken by another program
    without_runner = dataclasses.replace(settings, runner=False)
    running, _ = instance.up(without_runner)
    try:
        with socket.socket() as squatter:
            squatter.bind(("127.0.0.1", settings.runner_port))
            squatter.listen()
            # WHEN an up that wants the runner fails to start it
            with pytest.raises(LocalCloudError, match="in use"):
                instance.up(settings)
        # THEN the MiniStack it did not start still runs, as it was
        after = instance.status(settings)
        assert (after.pid, after.healthy) == (running.pid, True)
    finally:
        instance.down(settings)


def create_function(
    endpoint: str,
    name: str,
    environment: dict[str, str] | None = None,
    code: str = "def handler(event, context):\n    return 1\n",
) -> None:
    role = stale_state.client("iam", endpoint).create_role(
        RoleName=f"{name}-role",
        AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
        '"Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}',
    )["Role"]["Arn"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("app.py", code)
    stale_state.client("lambda", endpoint).create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": archive.getvalue()},
        Environment={"Variables": environment or {}},
    )


def test_a_function_the_runner_would_not_get_is_named(settings: Settings) -> None:
    try:
        # GIVEN a local cloud started knowing one function's name (EXTRA_FUNCTIONS), holding that function,
        # one naming the runner in its own environment (modules/function), one naming another function's
        # address, and one naming nothing
        instance.up(settings)
        create_function(settings.endpoint, "probe-fn")
        own = {"MINISTACK_LAMBDA_PROXY_URL": runner_process.proxy_url(settings, "own-fn")}
        create_function(settings.endpoint, "own-fn", own)
        create_function(settings.endpoint, "copied-fn", own)
        create_function(settings.endpoint, "other-fn")
        # THEN the check names the two the runner would not serve as themselves
        assert runner_check.functions_off_runner(settings) == ["copied-fn", "other-fn"]
        with pytest.raises(
            LocalCloudError, match=r"2 function\(s\) would run on MiniStack's own interpreter.*copied-fn, other-fn"
        ):
            runner_check.run(settings, argparse.Namespace())
        # AND with the runner stopped, every function is named
        runner_process.stop(settings)
        assert runner_check.functions_off_runner(settings) == ["copied-fn", "other-fn", "own-fn", "probe-fn"]
    finally:
        instance.down(settings)


def test_a_function_naming_the_runner_runs_there_without_seeing_the_address(settings: Settings) -> None:
    # GIVEN a local cloud started knowing no function names
    unnamed = dataclasses.replace(settings, function_names=())
    try:
        instance.up(unnamed)
        # WHEN a function created afterwards, naming the runner in its environment, is invoked
        address = runner_process.proxy_url(unnamed, "seen-fn")
        code = (
            "import os\n"
            "NAMES = ('MINISTACK_LAMBDA_PROXY_URL', 'AWS_LAMBDA_RUNTIME_API', 'MINE')\n"
            "def handler(event, context):\n"
            "    return {k: os.environ.get(k) for k in NAMES}\n"
        )
        create_function(unnamed.endpoint, "seen-fn", {"MINISTACK_LAMBDA_PROXY_URL": address, "MINE": "kept"}, code)
        response = stale_state.client("lambda", unnamed.endpoint).invoke(FunctionName="seen-fn")
        seen = json.loads(response["Payload"].read())
        # THEN it ran in the runner (its Runtime API), with its own variables but not the routing one
        assert seen["AWS_LAMBDA_RUNTIME_API"], seen
        assert seen["MINE"] == "kept"
        assert seen["MINISTACK_LAMBDA_PROXY_URL"] is None
        assert runner_check.functions_off_runner(unnamed) == []
    finally:
        instance.down(unnamed)


def state_naming(queue_url: str, function_name: str) -> dict:
    """A Terraform state with one managed queue and one managed function."""
    return {
        "resources": [
            {"mode": "managed", "type": "aws_sqs_queue", "instances": [{"attributes": {"url": queue_url}}]},
            {
                "mode": "managed",
                "type": "aws_lambda_function",
                "instances": [{"attributes": {"function_name": function_name}}],
            },
        ]
    }


def test_a_restart_without_persistence_is_noticed_as_a_lost_stack(settings: Settings) -> None:
    try:
        # GIVEN a running local cloud holding a queue the state names
        instance.up(settings)
        queue_url = stale_state.client("sqs", settings.endpoint).create_queue(QueueName="lifecycle-probe")["QueueUrl"]
        # THEN a state naming it is current, but one naming a function the cloud never had is lost
        assert stale_state.missing_queues([queue_url], settings.endpoint) == []
        assert stale_state.missing_functions(["never-deployed"], settings.endpoint) == ["never-deployed"]
        # WHEN the cloud restarts without state persistence
        instance.down(settings)
        instance.up(settings)
        # THEN the queue is gone and the state is seen as lost
        assert stale_state.missing_queues([queue_url], settings.endpoint) == [queue_url]
        assert stale_state.lost(state_naming(queue_url, "never-deployed"), settings.endpoint)
    finally:
        instance.down(settings)
