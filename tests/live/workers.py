"""The local cloud's Lambda workers as processes: catch one in the middle of a batch.

Local only: on AWS the execution environments are out of reach. The runner
(localcloud/runner) starts one child process per execution environment, with
the function's name and log stream in its environment. A warm worker waiting
for its next invocation is blocked reading its stdin, read(0, ...), which
/proc/<pid>/syscall shows as "0 0x0 ..."; anything else means it holds an
invocation.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from localcloud.processes import descendants
from localcloud.runner_process import runner_pid
from localcloud.settings import Settings

WAITING_ON_STDIN = "0 0x0 "
# Workers come and go rarely; the process table is re-read this often while polling their states.
WORKER_LIST_SECONDS = 0.2


@dataclass(frozen=True)
class WorkerProcess:
    pid: int
    log_stream: str


def workers_of(settings: Settings, function_name: str) -> list[WorkerProcess]:
    """The runner's live worker processes of one function."""
    runner = runner_pid(settings)
    found = []
    for pid in descendants(runner) if runner is not None else []:
        try:
            raw = Path(f"/proc/{pid}/environ").read_bytes().decode("utf-8", "replace")
        except OSError:
            continue
        environ = dict(item.split("=", 1) for item in raw.split("\0") if "=" in item)
        if environ.get("AWS_LAMBDA_FUNCTION_NAME") == function_name:
            found.append(WorkerProcess(pid, environ["AWS_LAMBDA_LOG_STREAM_NAME"]))
    return found


def waiting(pid: int) -> bool | None:
    """True while the worker waits for an invocation, False while it runs one, None once it is gone."""
    try:
        return Path(f"/proc/{pid}/syscall").read_text().startswith(WAITING_ON_STDIN)
    except OSError:
        return None


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
            state = waiting(worker.pid)
            if state:
                seen_waiting.add(worker.pid)
            elif state is False and worker.pid in seen_waiting:
                with contextlib.suppress(ProcessLookupError):  # it may end at any moment
                    os.kill(worker.pid, signal.SIGSTOP)
                    if stopped(worker.pid) and waiting(worker.pid) is False:
                        return worker
                    os.kill(worker.pid, signal.SIGCONT)
        time.sleep(0.001)
    return None
