"""make watch: the local cloud runs each function from functions/<name>/, and a save is live at once.

A scan of functions/ every 50 ms (the standard library has no inotify, and a
scan of a few files costs well under a millisecond) gives each function a
revision: a hash of its files' names, sizes and modification times, over the
files its zip would hold. A new revision goes into the state file the runner
reads (localcloud/runner/devloop.py), and the function's next invocation
starts a new execution environment on the new code. Nothing is deployed: the
deployed zips stay as they are, and leaving watch mode (Ctrl-C) returns every
function to its zip.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

from localcloud.runner.debugger import Debugger
from localcloud.runner.devloop import DevLoopState, WatchedFunction, read_state, write_state
from tools.build_functions import function_folders, package_files

SCAN_INTERVAL_SECONDS = 0.05

Snapshot = dict[str, tuple[int, int]]  # file in the zip -> (mtime in ns, size)


def deployed_name(prefix: str, folder: Path) -> str:
    """The function Terraform builds from functions/<folder> (main.tf: "${name_prefix}-" + the folder, dashed)."""
    return f"{prefix}-{folder.name.replace('_', '-')}"


def snapshot(folder: Path) -> Snapshot:
    found: Snapshot = {}
    for name, path in package_files(folder):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue  # deleted between the listing and the stat; the next scan sees it gone
        found[name] = (stat.st_mtime_ns, stat.st_size)
    return found


def revision_of(files: Snapshot) -> str:
    return hashlib.sha256(json.dumps(sorted(files.items())).encode()).hexdigest()[:12]


def describe_change(before: Snapshot, after: Snapshot) -> str:
    changes = [f"{name} added" for name in sorted(after.keys() - before.keys())]
    changes += [f"{name} deleted" for name in sorted(before.keys() - after.keys())]
    changes += [f"{name} saved" for name in sorted(before.keys() & after.keys()) if before[name] != after[name]]
    return ", ".join(changes)


class Watcher:
    """Scans the function folders and keeps the runner's state file in step with them."""

    def __init__(
        self,
        functions_dir: Path,
        prefix: str,
        state_file: Path,
        debug: tuple[str, Debugger] | None = None,
        say: Callable[[str], None] = print,
    ) -> None:
        self.functions_dir = functions_dir.resolve()
        self.prefix = prefix
        self.state_file = state_file
        self.debug = debug
        self.say = say
        self.snapshots: dict[str, Snapshot] = {}
        self.sources: dict[str, Path] = {}
        self.skipped: set[Path] = set()

    def watched_folders(self) -> dict[str, Path]:
        """Deployed name -> folder, for every function folder (found anew on each scan, so new ones count)."""
        folders = {}
        for folder in function_folders(self.functions_dir):
            if (folder / "requirements.txt").exists():
                if folder not in self.skipped:
                    self.skipped.add(folder)
                    self.say(
                        f"watch: {folder.name} has a requirements.txt, whose packages only its zip holds: "
                        "it keeps running its deployed zip (make deploy ships its edits)"
                    )
                continue
            folders[deployed_name(self.prefix, folder)] = folder
        return folders

    def scan(self) -> bool:
        """Look once; True when something changed (the state file is then rewritten)."""
        folders = self.watched_folders()
        changed = folders.keys() != self.sources.keys()
        for name, folder in folders.items():
            files = snapshot(folder)
            before = self.snapshots.get(name)
            if before is not None and before != files:
                self.say(f"watch: {folder.name}: {describe_change(before, files)} (live from {name}'s next invocation)")
            changed = changed or before != files
            self.snapshots[name] = files
        for name in self.sources.keys() - folders.keys():
            self.say(f"watch: {self.sources[name].name} is gone; {name} runs its deployed zip")
            self.snapshots.pop(name, None)
        self.sources = folders
        if changed:
            write_state(self.state_file, self.state())
        return changed

    def state(self) -> DevLoopState:
        debug_function, debugger = self.debug if self.debug else (None, None)
        return DevLoopState(
            pid=os.getpid(),
            functions={
                name: WatchedFunction(folder, revision_of(self.snapshots[name]))
                for name, folder in self.sources.items()
            },
            debug_function=debug_function,
            debugger=debugger,
        )

    def stop_serving(self) -> None:
        """Back to the deployed zips: remove the state file, if it is still ours."""
        state = read_state(self.state_file)
        if state is not None and state.pid == os.getpid():
            self.state_file.unlink(missing_ok=True)

    def run(self, stop: threading.Event, interval: float = SCAN_INTERVAL_SECONDS) -> None:
        """Scan until stop is set (or Ctrl-C); the functions run their zips again afterwards."""
        try:
            self.scan()
            while not stop.wait(interval):
                self.scan()
        finally:
            self.stop_serving()
