"""make watch and make debug, runner side and watcher side, without a cloud."""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from localcloud.debug import ensure_debugpy
from localcloud.errors import LocalCloudError
from localcloud.inner_loop import resolve_function
from localcloud.interpreter import find_python
from localcloud.processes import wait_until
from localcloud.runner.debugger import LAUNCHER, Debugger, debug_command
from localcloud.runner.devloop import DevLoop, DevLoopState, WatchedFunction, read_state, write_state
from localcloud.runner.runtime_api import Invocation
from localcloud.runner.workers import Worker, runtime_environment
from localcloud.settings import Settings
from localcloud.watch import Watcher, deployed_name
from tests.live.dap import DapClient
from tests.unit.localcloud.versions import probe_version, runtime_sdk

CREDENTIALS = {"AccessKeyId": "AKIA", "SecretAccessKey": "s", "SessionToken": "token"}

PREFIX = "inbox-pipeline"


@pytest.fixture
def functions(tmp_path: Path) -> Path:
    root = tmp_path / "functions"
    for name in ("check_output_queue", "process_input_queue"):
        (root / name).mkdir(parents=True)
        (root / name / "app.py").write_text("def handler(event, context):\n    return 1\n")
    return root


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    return tmp_path / "devloop.json"


def revisions(state_file: Path) -> dict[str, str]:
    state = read_state(state_file)
    assert state is not None
    return {name: watched.revision for name, watched in state.functions.items()}


def bump(path: Path, text: str) -> None:
    """Write and move the mtime on, as a later save would (a coarse clock could give the same one)."""
    path.write_text(text)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


def test_every_function_folder_is_served_under_its_deployed_name(functions: Path, state_file: Path) -> None:
    # GIVEN the two folders, WHEN the watcher scans once
    Watcher(functions, PREFIX, state_file, say=lambda _: None).scan()
    # THEN both are served from their folders, named as main.tf names them
    state = read_state(state_file)
    assert state is not None
    assert state.pid == os.getpid()
    assert {name: w.source for name, w in state.functions.items()} == {
        "inbox-pipeline-check-output-queue": functions / "check_output_queue",
        "inbox-pipeline-process-input-queue": functions / "process_input_queue",
    }


def test_a_save_changes_only_that_functions_revision(functions: Path, state_file: Path) -> None:
    lines: list[str] = []
    watcher = Watcher(functions, PREFIX, state_file, say=lines.append)
    watcher.scan()
    before = revisions(state_file)
    assert not watcher.scan()  # nothing changed, nothing written
    bump(functions / "check_output_queue" / "app.py", "def handler(event, context):\n    return 2\n")
    assert watcher.scan()
    after = revisions(state_file)
    assert after["inbox-pipeline-check-output-queue"] != before["inbox-pipeline-check-output-queue"]
    assert after["inbox-pipeline-process-input-queue"] == before["inbox-pipeline-process-input-queue"]
    assert lines == [
        "watch: check_output_queue: app.py saved (live from inbox-pipeline-check-output-queue's next invocation)"
    ]


def test_new_and_deleted_files_and_folders_count(functions: Path, state_file: Path) -> None:
    lines: list[str] = []
    watcher = Watcher(functions, PREFIX, state_file, say=lines.append)
    watcher.scan()
    first = revisions(state_file)["inbox-pipeline-check-output-queue"]
    (functions / "check_output_queue" / "helper.py").write_text("X = 1\n")
    watcher.scan()
    added = revisions(state_file)["inbox-pipeline-check-output-queue"]
    (functions / "check_output_queue" / "helper.py").unlink()
    watcher.scan()
    assert len({first, added, revisions(state_file)["inbox-pipeline-check-output-queue"]}) == 2
    (functions / "new_function").mkdir()
    (functions / "new_function" / "app.py").write_text("")
    watcher.scan()
    assert "inbox-pipeline-new-function" in revisions(state_file)
    # caches and bytecode are not part of a zip, so they do not reload anything
    (functions / "check_output_queue" / "__pycache__").mkdir()
    (functions / "check_output_queue" / "__pycache__" / "app.cpython-312.pyc").write_bytes(b"")
    assert not watcher.scan()
    assert [line.split(" (live")[0] for line in lines[:2]] == [
        "watch: check_output_queue: helper.py added",
        "watch: check_output_queue: helper.py deleted",
    ]


def test_a_function_with_requirements_keeps_its_zip(functions: Path, state_file: Path) -> None:
    (functions / "process_input_queue" / "requirements.txt").write_text("requests==2.32.3\n")
    lines: list[str] = []
    Watcher(functions, PREFIX, state_file, say=lines.append).scan()
    assert set(revisions(state_file)) == {"inbox-pipeline-check-output-queue"}
    assert "process_input_queue has a requirements.txt" in lines[0]


def test_run_stops_serving_on_the_way_out(functions: Path, state_file: Path) -> None:
    stop = threading.Event()
    watcher = Watcher(functions, PREFIX, state_file, say=lambda _: None)
    thread = threading.Thread(target=watcher.run, args=(stop, 0.01))
    thread.start()
    try:
        assert wait_until(state_file.exists, 5, 0.01)
    finally:
        stop.set()
        thread.join(5)
    assert not state_file.exists()


def test_the_runner_serves_the_sources_while_the_watcher_lives(tmp_path: Path, state_file: Path) -> None:
    deployed = probe_version(tmp_path / "zip")
    devloop = DevLoop(state_file)
    assert devloop.apply(deployed) is deployed  # no watcher: the zip
    write_state(state_file, DevLoopState(os.getpid(), {"probe": WatchedFunction(tmp_path / "src", "abc")}))
    watched = devloop.apply(deployed)
    assert watched.code_dir == tmp_path / "src"
    assert watched.revision not in {deployed.revision, ""}
    assert watched.debugger is None
    other = dataclasses.replace(deployed, name="other")
    assert devloop.apply(other) is other  # not watched: untouched, its warm workers stay
    write_state(state_file, DevLoopState(os.getpid(), {"probe": WatchedFunction(tmp_path / "src", "abd")}))
    assert devloop.apply(deployed).revision != watched.revision  # a save: new execution environments


def test_a_dead_watcher_returns_functions_to_their_zips(tmp_path: Path, state_file: Path) -> None:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone = int(finished.stdout)
    write_state(state_file, DevLoopState(gone, {"probe": WatchedFunction(tmp_path / "src", "abc")}))
    deployed = probe_version(tmp_path / "zip")
    assert DevLoop(state_file).apply(deployed) is deployed


def test_the_debugged_function_gets_one_worker_under_debugpy(tmp_path: Path, state_file: Path) -> None:
    debugger = Debugger(5678, tmp_path / "debugpy")
    state = DevLoopState(os.getpid(), {"probe": WatchedFunction(tmp_path / "src", "abc")}, "probe", debugger)
    write_state(state_file, state)
    assert read_state(state_file) == state
    version = DevLoop(state_file).apply(probe_version(tmp_path / "zip", reserved=10))
    assert version.debugger == debugger
    assert version.reserved_concurrency == 1


@pytest.mark.parametrize(
    ("worker", "target"),
    [
        (["python3.12", "-I", "-S", "-B", "/rt/bootstrap.py"], ["/rt/bootstrap.py"]),
        (["python3.12", "-I", "-m", "awslambdaric", "app.handler"], ["-m", "awslambdaric", "app.handler"]),
    ],
)
def test_debug_command_wraps_the_workers_own(worker: list[str], target: list[str]) -> None:
    wrapped = debug_command(worker, Debugger(5679, Path("/dbg")))
    options = worker[: len(worker) - len(target)]
    assert wrapped == [*options, "-X", "frozen_modules=off", str(LAUNCHER), "/dbg", "5679", *target]


def test_function_is_named_by_a_served_folder_or_its_deployed_name(functions: Path, state_file: Path) -> None:
    (functions / "vendored").mkdir()
    (functions / "vendored" / "app.py").write_text("")
    (functions / "vendored" / "requirements.txt").write_text("requests==2.32.3\n")
    served = Watcher(functions, PREFIX, state_file, say=lambda _: None).watched_folders()
    expected = "inbox-pipeline-process-input-queue"
    assert resolve_function("process_input_queue", served) == expected
    assert resolve_function("functions/process_input_queue/", served) == expected
    assert resolve_function(expected, served) == expected
    with pytest.raises(LocalCloudError, match="needs FUNCTION=<name>, one of: check_output_queue, process_input"):
        resolve_function("", served)
    with pytest.raises(LocalCloudError, match="FUNCTION=nope is not a function folder make watch serves"):
        resolve_function("nope", served)
    # a folder with a requirements.txt keeps its zip, so it cannot be debugged from its folder
    with pytest.raises(LocalCloudError, match="FUNCTION=vendored is not"):
        resolve_function("vendored", served)


def test_deployed_name_follows_main_tf() -> None:
    assert deployed_name("p", Path("functions/check_output_queue")) == "p-check-output-queue"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_worker_under_debugpy_waits_for_the_ide_and_stops_at_a_breakpoint(tmp_path: Path) -> None:
    # GIVEN a function run under the debugger, as make debug runs it
    code = tmp_path / "src"
    code.mkdir()
    (code / "app.py").write_text("def handler(event, context):\n    answer = 42\n    return answer\n")
    settings = Settings.from_env()
    debugger = Debugger(free_port(), ensure_debugpy(settings))
    version = dataclasses.replace(probe_version(code, "app.handler"), debugger=debugger, timeout_seconds=120)
    env = runtime_environment(
        version,
        CREDENTIALS,
        "2026/01/01/[$LATEST]abc",
        "us-east-1",
        "http://localhost:4566",
        runtime_sdk(),
        "python3.12",
    )
    started: list[Worker] = []
    # WHEN it starts, it waits (no init timeout) until an IDE attaches
    thread = threading.Thread(target=lambda: started.append(Worker(version, env, find_python("3.12"), lambda *_: None)))
    thread.start()
    client = DapClient(debugger.port)
    try:
        client.attach({str(code / "app.py"): [3]})
        thread.join(30)
        worker = started[0]
        assert worker.init_error is None
        # THEN an invocation stops at the breakpoint and, once continued, returns its result
        answer: list[object] = []
        invoking = threading.Thread(
            target=lambda: answer.append(
                worker.invoke(Invocation("r1", b"{}", int((time.time() + 60) * 1000), version.arn), time.time() + 60)
            )
        )
        invoking.start()
        stopped = client.event("stopped")
        assert stopped["body"]["reason"] == "breakpoint"
        client.request("continue", {"threadId": stopped["body"]["threadId"]})
        invoking.join(30)
        assert answer[0].payload == b"42"
    finally:
        client.close()
        for worker in started:
            worker.kill()
