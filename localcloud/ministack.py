"""Start, stop and query MiniStack through its own CLI (`ministack -d`, `--stop`).

MiniStack writes its PID file and log into TMPDIR, so pointing TMPDIR at the
instance folder keeps them, and its Lambda scratch files, in our folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

from localcloud.errors import LocalCloudError
from localcloud.processes import descendants, pid_alive, port_in_use, read_pid, terminate, wait_until
from localcloud.settings import Settings

START_TIMEOUT_SECONDS = 30
# Long enough for MiniStack to save a large state on its way down.
SHUTDOWN_TIMEOUT_SECONDS = 30
# Credentials a developer's shell may hold must never reach the local cloud.
DROPPED_VARIABLES = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL")
# What the server's command line holds (python -m hypercorn ministack.app:app ...).
SERVER_COMMAND = "ministack.app"


def server_pid(settings: Settings) -> int | None:
    """The PID of the MiniStack server we started on this port, if it still runs."""
    return read_pid(settings.pid_file, SERVER_COMMAND)


def health(settings: Settings) -> dict | None:
    """MiniStack's health document, or None when nothing healthy answers."""
    try:
        with urllib.request.urlopen(f"{settings.endpoint}/_ministack/health", timeout=1) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def process_environment(pid: int) -> dict[str, str]:
    """The environment a running process started with (empty if it is gone), which MiniStack reads its settings from."""
    try:
        entries = Path(f"/proc/{pid}/environ").read_text().split("\0")
    except OSError:
        return {}
    return dict(entry.split("=", 1) for entry in entries if "=" in entry)


def running_flags(pid: int) -> dict[str, bool]:
    """IAM enforcement and state persistence of a running MiniStack, which it read from its environment at start."""
    environ = process_environment(pid)
    if not environ:
        return {}
    return {"auth": environ.get("AUTH") == "true", "persist": environ.get("PERSIST_STATE") == "1"}


def server_environment(settings: Settings, proxies: dict[str, str]) -> dict[str, str]:
    """MiniStack's configuration: loopback only, our folders, IAM enforcement."""
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_VARIABLES}
    env.update(
        GATEWAY_PORT=str(settings.port),
        BIND_HOST="127.0.0.1",
        MINISTACK_HOST="localhost",
        MINISTACK_REGION=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        TMPDIR=str(settings.instance_dir),
        S3_DATA_DIR=str(settings.instance_dir / "s3"),
        STATE_DIR=str(settings.state_dir),
        PERSIST_STATE="1" if settings.persist else "0",
        AUTH="true" if settings.auth else "false",
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        LOG_LEVEL=os.environ.get("LOCALCLOUD_LOG_LEVEL", "INFO"),
    )
    env.update({f"MINISTACK_LAMBDA_PROXY_{name}": url for name, url in proxies.items()})
    return env


def start(settings: Settings, venv_python: Path, proxies: dict[str, str]) -> int:
    """Start MiniStack in the background and wait until it is healthy; returns its PID."""
    if port_in_use(settings.port):
        raise LocalCloudError(
            f"port {settings.port} is in use by another program; stop it or choose another port "
            f"(make up LOCALCLOUD_PORT={settings.port + 10})"
        )
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [str(venv_python.parent / "ministack"), "-d"],
        env=server_environment(settings, proxies),
        capture_output=True,
        text=True,
        check=False,
    )
    pid = server_pid(settings)
    if result.returncode != 0 or pid is None:
        raise LocalCloudError(
            f"the local cloud did not start: {result.stdout.strip() or result.stderr.strip()} "
            f"(log: {settings.log_file})"
        )
    if (
        not wait_until(
            lambda: health(settings) is not None or server_pid(settings) is None,
            START_TIMEOUT_SECONDS,
            interval=0.1,
        )
        or health(settings) is None
    ):
        stop(settings)
        raise LocalCloudError(
            f"the local cloud did not become healthy within {START_TIMEOUT_SECONDS} s (log: {settings.log_file})"
        )
    return pid


def stop(settings: Settings) -> bool:
    """Stop the server we started and every process below it; False if none ran."""
    pid = server_pid(settings)
    if pid is None:
        settings.pid_file.unlink(missing_ok=True)
        return False
    family = [pid, *descendants(pid)]
    subprocess.run(
        [str(settings.venv / "bin" / "ministack"), "--stop"],
        env=server_environment(settings, {}),
        capture_output=True,
        check=False,
    )
    # The server's worker process saves the state (PERSIST_STATE) while it shuts
    # down; a signal of our own in the middle would cut the save short.
    if not wait_until(lambda: not any(pid_alive(p) for p in family), SHUTDOWN_TIMEOUT_SECONDS, interval=0.1):
        terminate(family)
    settings.pid_file.unlink(missing_ok=True)
    return True
