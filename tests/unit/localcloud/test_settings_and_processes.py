"""The local cloud wrapper's own logic: settings, interpreters, processes, ports."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from localcloud import instance, interpreter, ministack, processes, runner_process
from localcloud.cli import cmd_down
from localcloud.errors import LocalCloudError
from localcloud.settings import Settings


def test_defaults_keep_everything_under_one_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("LOCALCLOUD_PORT", "LOCALCLOUD_AUTH", "LOCALCLOUD_PERSIST", "LOCALCLOUD_RUNNER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LOCALCLOUD_HOME", str(tmp_path))
    settings = Settings.from_env()
    assert (settings.port, settings.auth, settings.persist, settings.runner) == (4566, True, False, True)
    assert settings.endpoint == "http://localhost:4566"
    for path in (settings.venv, settings.pid_file, settings.log_file, settings.state_dir, settings.runner_pid_file):
        assert path.is_relative_to(tmp_path)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("LOCALCLOUD_PORT", "http", "LOCALCLOUD_PORT must be a port number"),
        ("LOCALCLOUD_PORT", "80", "between 1024 and 65535"),
        ("LOCALCLOUD_AUTH", "maybe", "LOCALCLOUD_AUTH must be true or false"),
    ],
)
def test_bad_settings_are_one_clear_line(monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(LocalCloudError, match=message):
        Settings.from_env()


def test_function_names_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALCLOUD_FUNCTIONS", "a-fn b-fn,c-fn")
    assert Settings.from_env().function_names == ("a-fn", "b-fn", "c-fn")


def test_an_interpreter_is_trusted_only_if_it_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    broken = tmp_path / "python9.9"
    broken.write_text("#!/bin/sh\nexit 127\n")
    broken.chmod(0o755)
    monkeypatch.setattr(interpreter, "candidates", lambda version: [str(broken)])
    with pytest.raises(LocalCloudError, match=r"Python 9\.9, the Lambda runtime's version, is missing"):
        interpreter.find_python("9.9")


def test_the_running_interpreter_is_found_by_its_version(monkeypatch: pytest.MonkeyPatch) -> None:
    version = "{}.{}".format(*sys.version_info[:2])
    monkeypatch.setattr(interpreter, "candidates", lambda v: ["/nonexistent/python", sys.executable])
    assert interpreter.find_python(version) == sys.executable


def test_descendants_and_terminate_stop_a_whole_tree() -> None:
    # GIVEN a process with a child and a grandchild
    parent = subprocess.Popen(["bash", "-c", "bash -c 'sleep 60 & wait' & wait"])
    assert processes.wait_until(lambda: len(processes.descendants(parent.pid)) >= 2, timeout=5)
    family = processes.descendants(parent.pid)
    # WHEN the tree is terminated
    processes.terminate([parent.pid, *family], grace_seconds=2)
    parent.wait(timeout=5)
    # THEN none of them is alive
    assert not any(processes.pid_alive(pid) for pid in family)


def test_read_pid_ignores_dead_and_garbage(tmp_path: Path) -> None:
    pid_file = tmp_path / "x.pid"
    assert processes.read_pid(pid_file, "true") is None
    pid_file.write_text("not a number")
    assert processes.read_pid(pid_file, "true") is None
    finished = subprocess.Popen(["true"])
    finished.wait()
    pid_file.write_text(str(finished.pid))
    assert processes.read_pid(pid_file, "true") is None


def test_read_pid_trusts_a_live_process_only_if_it_runs_the_expected_command(tmp_path: Path) -> None:
    # GIVEN a live process and a PID file naming it
    pid_file = tmp_path / "x.pid"
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        pid_file.write_text(str(sleeper.pid))
        assert processes.wait_until(lambda: processes.command_line(sleeper.pid).startswith("sleep"), 5)
        # THEN it is taken for the process the file was written for when it runs that command
        assert processes.read_pid(pid_file, "sleep 30") == sleeper.pid
        # AND not when it runs another (a stale file naming a PID the system gave to someone else)
        assert processes.read_pid(pid_file, ministack.SERVER_COMMAND) is None
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_port_held_by_another_program_is_refused_clearly(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        settings = Settings(port=port, home=tmp_path)
        with pytest.raises(LocalCloudError, match=f"port {port} is in use by another program"):
            ministack.start(settings, tmp_path / "bin" / "python", {})


def test_stopping_what_is_not_running_says_so(tmp_path: Path) -> None:
    settings = Settings(port=45999, home=tmp_path)
    assert ministack.stop(settings) is False


def test_the_server_binds_loopback_and_keeps_files_in_its_folder(tmp_path: Path) -> None:
    settings = Settings(port=45998, home=tmp_path, auth=True)
    env = ministack.server_environment(settings, {"fn": "http://127.0.0.1:45999/functions/fn"})
    assert env["BIND_HOST"] == "127.0.0.1"
    assert env["AUTH"] == "true"
    assert env["TMPDIR"] == str(settings.instance_dir)
    assert env["MINISTACK_LAMBDA_PROXY_fn"] == "http://127.0.0.1:45999/functions/fn"
    assert "AWS_PROFILE" not in env


def test_down_forget_state_removes_what_persistence_saved(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    # GIVEN a stopped local cloud that saved its state (LOCALCLOUD_PERSIST=true)
    settings = Settings(port=45997, home=tmp_path, persist=True)
    settings.state_dir.mkdir(parents=True)
    (settings.state_dir / "sqs.json").write_text("{}")
    # WHEN it is brought down with --forget-state
    assert cmd_down(settings, argparse.Namespace(forget_state=True)) == 0
    # THEN its saved state is gone, so the next start is fresh, and saying so twice is harmless
    assert not settings.state_dir.exists()
    assert "saved state is forgotten" in capsys.readouterr().out
    assert instance.forget_state(settings) is False


def test_an_interrupted_start_stops_what_it_started(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # GIVEN the runner starts but MiniStack's start is interrupted (Ctrl-C)
    stopped: list[str] = []
    monkeypatch.setattr(instance, "ensure_venv", lambda settings: tmp_path / "python")
    monkeypatch.setattr(instance, "ensure_runtime_sdk", lambda settings: tmp_path)
    monkeypatch.setattr(runner_process, "start", lambda settings: {"fn": "http://127.0.0.1:1/functions/fn"})
    monkeypatch.setattr(runner_process, "stop", lambda settings: stopped.append("runner") or True)

    def interrupted(*args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(ministack, "start", interrupted)
    monkeypatch.setattr(ministack, "stop", lambda settings: stopped.append("ministack") or False)
    # WHEN the local cloud is brought up
    with pytest.raises(KeyboardInterrupt):
        instance.up(Settings(port=45997, home=tmp_path, function_names=("fn",)))
    # THEN everything is stopped again
    assert stopped == ["runner", "ministack"]


def test_running_flags_are_read_from_the_processs_own_environment() -> None:
    # GIVEN a process started with IAM enforcement off and persistence on
    env = {**os.environ, "AUTH": "false", "PERSIST_STATE": "1"}
    sleeper = subprocess.Popen(["sleep", "30"], env=env)
    try:
        # (until it has exec'd, /proc shows the environment it was forked with)
        assert processes.wait_until(lambda: processes.command_line(sleeper.pid).startswith("sleep"), 5)
        # THEN those are its flags, whatever this process's environment says
        assert ministack.running_flags(sleeper.pid) == {"auth": False, "persist": True}
    finally:
        sleeper.kill()
        sleeper.wait()
