"""python -m localcloud watch [--debug FUNCTION]: the commands behind make watch and make debug.

Both run in the foreground until Ctrl-C (or SIGTERM), then return every
function to its deployed zip and, after a debug session, put back the timeouts
it lifted, even when the session ends with an error.
"""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from localcloud import debug
from localcloud.errors import LocalCloudError
from localcloud.processes import command_line, descendants, pid_alive, port_in_use, terminate
from localcloud.runner.debugger import LAUNCHER, Debugger
from localcloud.runner.devloop import FILE_NAME, read_state
from localcloud.runner_process import runner_pid, sigint_held
from localcloud.settings import REPO_ROOT, Settings
from localcloud.stale_state import client
from localcloud.watch import Watcher


def say(line: str) -> None:
    print(line, flush=True)


def state_file(settings: Settings) -> Path:
    """Where the runner looks (localcloud/runner/__main__.py: beside its code folder)."""
    return settings.instance_dir / FILE_NAME


def check_ready(settings: Settings) -> None:
    if runner_pid(settings) is None:
        raise LocalCloudError(
            f"the local cloud's Lambda runner on port {settings.port} is not running: make deploy first "
            "(make watch and make debug serve functions through it; LOCALCLOUD_RUNNER=false turns it off)"
        )
    state = read_state(state_file(settings))
    if state is not None and pid_alive(state.pid):
        raise LocalCloudError(f"make watch or make debug already runs for port {settings.port} (pid {state.pid})")


def resolve_function(wanted: str, served: dict[str, Path]) -> str:
    """A served folder of functions/ (check_output_queue, functions/check_output_queue/) or its function's name."""
    by_folder = {folder.name: name for name, folder in served.items()}
    key = Path(wanted.rstrip("/")).name
    if key in by_folder:
        return by_folder[key]
    if wanted in served:
        return wanted
    choices = ", ".join(sorted(by_folder))
    if not wanted:
        raise LocalCloudError(f"make debug needs FUNCTION=<name>, one of: {choices}")
    raise LocalCloudError(f"FUNCTION={wanted} is not a function folder make watch serves (one of: {choices})")


def warn_undeployed(lam: Any, watcher: Watcher) -> None:
    deployed = {f["FunctionName"] for page in lam.get_paginator("list_functions").paginate() for f in page["Functions"]}
    for name, folder in watcher.watched_folders().items():
        if name not in deployed:
            say(f"watch: {folder.name}: no function {name} is deployed; make deploy creates it, then watch serves it")


def restore_leftover(settings: Settings, lam: Any, sqs: Any) -> None:
    """A debug session that died left its timeouts lifted: put them back first."""
    lifted = debug.restore(lam, sqs, debug.restore_file(settings))
    if lifted is not None:
        say(f"debug: put back what an earlier session left lifted: {debug.describe(lifted)}")


@contextmanager
def stopped_by_sigterm() -> Iterator[threading.Event]:
    """An event set by SIGTERM, so a killed watch still cleans up; Ctrl-C arrives as KeyboardInterrupt."""
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        yield stop
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(settings: Settings, args: argparse.Namespace) -> int:
    check_ready(settings)
    lam, sqs = client("lambda", settings.endpoint), client("sqs", settings.endpoint)
    restore_leftover(settings, lam, sqs)
    functions_dir = args.functions.resolve()
    watcher = Watcher(functions_dir, args.name_prefix, state_file(settings), say=say)
    served = watcher.watched_folders()
    session: tuple[str, Debugger] | None = None
    if args.debug is not None:
        function = resolve_function(args.debug, served)
        if port_in_use(args.debug_port):
            raise LocalCloudError(f"DEBUG_PORT {args.debug_port} is in use; choose another, e.g. DEBUG_PORT=5679")
        session = watcher.debug = (function, Debugger(args.debug_port, debug.ensure_debugpy(settings)))
    warn_undeployed(lam, watcher)
    with stopped_by_sigterm() as stop:
        try:
            if session is None:
                names = ", ".join(f"{folder.name} as {name}" for name, folder in served.items())
                say(f"watch: serving {functions_dir}: {names}; Ctrl-C stops")
                watcher.run(stop)
            else:
                serve_debug(settings, lam, sqs, watcher, stop, session)
        except KeyboardInterrupt:
            pass
    say("watch: stopped; every function runs its deployed zip again (make deploy ships your edits)")
    return 0


def serve_debug(
    settings: Settings, lam: Any, sqs: Any, watcher: Watcher, stop: threading.Event, session: tuple[str, Debugger]
) -> None:
    function, debugger = session
    file = debug.restore_file(settings)
    try:
        lifted = debug.lift(lam, sqs, function, file)
        say(
            f"debug: {function} waits for a debugger on 127.0.0.1:{debugger.port} at its next invocation "
            f"(VS Code: Run and Debug > 'Attach to make debug'); timeouts lifted for the session "
            f"(were: {debug.describe(lifted)}); Ctrl-C ends it and puts them back"
        )
        watcher.run(stop)
    finally:
        with sigint_held():
            end_debugged_workers(settings, debugger)
            lifted = debug.restore(lam, sqs, file)
        if lifted is not None:
            say(f"debug: put back {debug.describe(lifted)}")


def end_debugged_workers(settings: Settings, debugger: Debugger) -> None:
    """The session's environments end with it: one still waiting for an IDE would hold the port for its timeout."""
    runner = runner_pid(settings)
    if runner is None:
        return
    marker = f"{LAUNCHER} {debugger.debugpy_dir} {debugger.port} "
    terminate([pid for pid in descendants(runner) if marker in command_line(pid)])


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("watch", help="serve functions/ to the runner, live on every save (make watch, make debug)")
    parser.add_argument("--functions", type=Path, default=REPO_ROOT / "functions", help="folder of function folders")
    parser.add_argument("--name-prefix", default="inbox-pipeline", help="the stack's name_prefix")
    parser.add_argument("--debug", metavar="FUNCTION", help="run this function's workers under debugpy")
    parser.add_argument("--debug-port", type=int, default=5678, help="where debugpy listens, on 127.0.0.1")
    parser.set_defaults(run=run)
