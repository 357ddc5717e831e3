"""The local cloud as one unit: MiniStack plus, when enabled, our Lambda runner."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass

from localcloud import ministack, runner_process
from localcloud.environments import ensure_runtime_sdk, ensure_venv
from localcloud.settings import Settings


@dataclass(frozen=True)
class Status:
    running: bool
    pid: int | None
    runner_pid: int | None
    healthy: bool


def status(settings: Settings) -> Status:
    pid = ministack.server_pid(settings)
    return Status(
        running=pid is not None,
        pid=pid,
        runner_pid=runner_process.runner_pid(settings),
        healthy=pid is not None and ministack.health(settings) is not None,
    )


def up(settings: Settings) -> tuple[Status, bool]:
    """Start what is not running; returns the status and whether anything started.

    Interrupted half-way (Ctrl-C, an error), it stops what it had started, and
    only that: a MiniStack that was running already keeps running, with its state.
    """
    current = status(settings)
    if current.healthy and (current.runner_pid is not None or not settings.runner):
        return current, False
    venv_python = ensure_venv(settings)
    started: list[Callable[[Settings], bool]] = []
    try:
        proxies = {}
        if settings.runner:
            ensure_runtime_sdk(settings)
            if current.runner_pid is None:
                started.append(runner_process.stop)
            proxies = runner_process.start(settings)
        if not current.running:
            started.append(ministack.stop)
            ministack.start(settings, venv_python, proxies)
    except BaseException:
        for stop in started:
            stop(settings)
        raise
    return status(settings), True


def down(settings: Settings) -> bool:
    """Stop the runner and MiniStack with all their workers; False if nothing ran."""
    stopped_runner = runner_process.stop(settings)
    stopped_server = ministack.stop(settings)
    return stopped_runner or stopped_server


def forget_state(settings: Settings) -> bool:
    """Delete what a persisting local cloud saved (LOCALCLOUD_PERSIST), so its next start is fresh.

    MiniStack saves on shutdown, so this only makes sense once it is stopped.
    """
    if not settings.state_dir.exists():
        return False
    shutil.rmtree(settings.state_dir)
    return True
