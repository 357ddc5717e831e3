"""Processes by PID: liveness, descendants, and stopping exactly those we started."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie has exited but still answers signal 0.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return True


# How much later than its PID file a process may seem to start: /proc's boot
# time has whole seconds.
PID_FILE_SLACK_SECONDS = 2.0


def started_at(pid: int) -> float | None:
    """When the process started (epoch seconds, from /proc), or None where that cannot be read."""
    try:
        after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
        start_ticks = int(after_name[19])  # field 22, starttime: the fields after the name begin at field 3
        boot = next(
            int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime ")
        )
    except (OSError, IndexError, ValueError, StopIteration):
        return None
    return boot + start_ticks / os.sysconf("SC_CLK_TCK")


def read_pid(pid_file: Path) -> int | None:
    """The PID in the file if that process is still alive and is the one the file was written for.

    A stale file can name a PID the system has since given to an unrelated
    process, which `down` must never signal: a process that started after its
    PID file was written is not the one the file names.
    """
    try:
        pid = int(pid_file.read_text().strip())
        written = pid_file.stat().st_mtime
    except (OSError, ValueError):
        return None
    if not pid_alive(pid):
        return None
    started = started_at(pid)
    if started is not None and started > written + PID_FILE_SLACK_SECONDS:
        return None
    return pid


def parent_map() -> dict[int, int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(") ", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    return parents


def descendants(pid: int) -> list[int]:
    """Every process below pid (workers, their children), deepest last."""
    children: dict[int, list[int]] = {}
    for child, parent in parent_map().items():
        children.setdefault(parent, []).append(child)
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        for child in children.get(current, []):
            found.append(child)
            frontier.append(child)
    return found


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Poll condition until it holds or the deadline passes; True if it held."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def terminate(pids: list[int], grace_seconds: float = 5.0) -> None:
    """SIGTERM, then SIGKILL whatever is still alive after the grace period."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
    if not wait_until(lambda: not any(pid_alive(p) for p in pids), grace_seconds):
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
        wait_until(lambda: not any(pid_alive(p) for p in pids), grace_seconds)


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0
