"""The local cloud's Lambda workers as processes: catch one in the middle of a batch.

Local only: on AWS the execution environments are out of reach. The runner
(localcloud/runner) runs one process per execution environment and lists
them at GET /workers: process id, function, log stream, and whether each
holds an invocation (handed over by the Runtime API and not yet answered).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localcloud.settings import Settings

# Workers come and go rarely; the list is re-read this often while polling their states.
WORKER_LIST_SECONDS = 0.2


@dataclass(frozen=True)
class WorkerProcess:
    pid: int
    log_stream: str


def runner_workers(settings: Settings) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"http://127.0.0.1:{settings.runner_port}/workers", timeout=5) as response:
        return json.loads(response.read())


def workers_of(settings: Settings, function_name: str) -> list[WorkerProcess]:
    """The runner's live worker processes of one function."""
    return [
        WorkerProcess(worker["pid"], worker["log_stream"])
        for worker in runner_workers(settings)
        if worker["function"] == function_name
    ]


def waiting(settings: Settings, pid: int) -> bool | None:
    """True while the worker waits for an invocation, False while it holds one, None once it is gone."""
    state = next((worker for worker in runner_workers(settings) if worker["pid"] == pid), None)
    if state is None or not Path(f"/proc/{pid}").exists():
        return None
    return not state["busy"]


def stopped(pid: int) -> bool:
    """Whether the process has taken its SIGSTOP (state T), waiting briefly for it."""
    deadline = time.monotonic() + 1
    while time.monotonic() < deadline:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].startswith("T"):
                return True
        except OSError:
            return False
        time.sleep(0.001)
    return False


def stop_one_mid_batch(settings: Settings, function_name: str, deadline_seconds: float) -> WorkerProcess | None:
    """SIGSTOP a warm worker while it runs an invocation and return it, still stopped; None by the deadline.

    Only workers seen waiting before count (a busy new one may still be
    starting). A worker is stopped first and checked after, so it cannot
    finish in between; one caught between invocations is let go again.
    """
    seen_waiting: set[int] = set()
    deadline = time.monotonic() + deadline_seconds
    workers: list[WorkerProcess] = []
    listed_at = 0.0
    while time.monotonic() < deadline:
        if time.monotonic() - listed_at > WORKER_LIST_SECONDS:
            workers, listed_at = workers_of(settings, function_name), time.monotonic()
        for worker in workers:
            state = waiting(settings, worker.pid)
            if state:
                seen_waiting.add(worker.pid)
            elif state is False and worker.pid in seen_waiting:
                with contextlib.suppress(ProcessLookupError):  # it may end at any moment
                    os.kill(worker.pid, signal.SIGSTOP)
                    if stopped(worker.pid) and waiting(settings, worker.pid) is False:
                        return worker
                    os.kill(worker.pid, signal.SIGCONT)
        time.sleep(0.001)
    return None
