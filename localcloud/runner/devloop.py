"""What `make watch` and `make debug` ask of the runner, read from a state file.

The watcher (localcloud/watch.py) writes the file; the runner only reads it,
so the two stay separate processes and a runner needs no restart to enter or
leave the inner loop. A watched function runs from its source folder under a
revision of its own, which changes with every save: Pool.discard_stale then
retires its warm workers, and the next invocation starts a new execution
environment, as after an update on AWS. The file names the watcher's PID: once
that process is gone (Ctrl-C, or killed), the functions run their deployed
zips again, whether or not it could remove the file.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localcloud.processes import pid_alive
from localcloud.runner.catalog import FunctionVersion
from localcloud.runner.debugger import Debugger

FILE_NAME = "devloop.json"


@dataclass(frozen=True)
class WatchedFunction:
    source: Path
    revision: str


@dataclass(frozen=True)
class DevLoopState:
    """Which functions run from their sources, at which revision, and which one under a debugger."""

    pid: int
    functions: dict[str, WatchedFunction]
    debug_function: str | None = None
    debugger: Debugger | None = None

    def to_json(self) -> str:
        return json.dumps(
            {
                "pid": self.pid,
                "functions": {
                    name: {"source": str(f.source), "revision": f.revision} for name, f in self.functions.items()
                },
                "debug": None
                if self.debugger is None
                else {
                    "function": self.debug_function,
                    "port": self.debugger.port,
                    "debugpy": str(self.debugger.debugpy_dir),
                },
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> DevLoopState:
        raw: dict[str, Any] = json.loads(text)
        debug = raw.get("debug")
        return cls(
            pid=int(raw["pid"]),
            functions={
                name: WatchedFunction(Path(entry["source"]), str(entry["revision"]))
                for name, entry in raw.get("functions", {}).items()
            },
            debug_function=debug["function"] if debug else None,
            debugger=Debugger(int(debug["port"]), Path(debug["debugpy"])) if debug else None,
        )


def write_state(path: Path, state: DevLoopState) -> None:
    """Atomically, so the runner never reads half a file."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(state.to_json())
    partial.replace(path)


def read_state(path: Path) -> DevLoopState | None:
    try:
        return DevLoopState.from_json(path.read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return None


class DevLoop:
    """The runner's view of the state file: re-read only when the file changes (one stat per invocation)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.seen: tuple[int, int] | None = None
        self.state: DevLoopState | None = None

    def current(self) -> DevLoopState | None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        key = (stat.st_ino, stat.st_mtime_ns)
        with self.lock:
            if key != self.seen:
                self.seen, self.state = key, read_state(self.path)
            state = self.state
        if state is None or not pid_alive(state.pid):
            return None
        return state

    def apply(self, version: FunctionVersion) -> FunctionVersion:
        """The version to run: the deployed one, or while watched its sources at their own revision."""
        state = self.current()
        watched = state.functions.get(version.name) if state else None
        if state is None or watched is None:
            return version
        revision = f"{version.revision}+watch-{watched.revision}"
        if state.debug_function != version.name or state.debugger is None:
            return dataclasses.replace(version, code_dir=watched.source, revision=revision)
        # One worker: a debugger listens on one port, and a second worker could not bind it.
        return dataclasses.replace(
            version,
            code_dir=watched.source,
            revision=f"{revision}+debug-{state.debugger.port}",
            debugger=state.debugger,
            reserved_concurrency=1,
        )
