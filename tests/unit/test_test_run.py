"""make test's orchestration (tools/test_run): the phases in order, and the teardown however the run ends."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from tools import test_run
from tools.test_run import Run


class ScriptedRun(Run):
    """A run whose commands only record their names; `failing` names the ones that fail, `interrupting` the one
    during which a Ctrl-C arrives."""

    def __init__(self, failing: tuple[str, ...] = (), interrupting: str | None = None) -> None:
        super().__init__(port=4999, stack_vars="-var x=1")
        self.failing = failing
        self.interrupting = interrupting
        self.calls: list[str] = []

    def run(self, command: list[str], prefix: str = "", log: Path | None = None) -> bool:
        """Record make's targets (or the local cloud's command) as one name per call."""
        words = [w for w in command[1:] if "=" not in w and not w.startswith("-") and "python" not in w]
        with self.output_lock:
            self.calls.append(" ".join(words))
        if self.interrupting in words:
            signal.raise_signal(signal.SIGINT)  # handled in the main thread, as a Ctrl-C would be
            return False
        return not set(words) & set(self.failing)


@pytest.fixture(autouse=True)
def _signals_restored() -> None:
    """execute() ignores signals once it tears down; give the next test the default handlers back."""
    yield
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def test_a_passing_run_goes_through_every_phase_then_tears_down() -> None:
    run = ScriptedRun()
    assert test_run.execute(run, static=True)
    assert run.calls.index("live-suites") < run.calls.index("destroy")
    # every fault group, then the restart alone, then a clean plan of every stack
    assert run.calls.count("test-faults") == len(test_run.FAULT_STACKS) + 1
    assert run.calls.count("clean-plan") == 2 * len(test_run.STACKS)
    assert run.calls.count("destroy") == len(test_run.STACKS)
    assert run.calls[-1] == "down"
    assert set(run.phases) == {"static checks", "deploy", "integration and contract", "faults", "teardown"}
    assert {p.outcome for p in run.phases.values()} == {"passed"}


def test_every_fault_file_runs_on_exactly_one_stack() -> None:
    files = [path for _, group in test_run.fault_groups() for path in group] + list(test_run.MAIN.faults)
    on_disk = sorted(p.name for p in (test_run.REPO_ROOT / "tests" / "faults").glob("test_*.py"))
    assert sorted(Path(f).name for f in files) == on_disk


def test_a_failing_static_check_skips_the_suites_but_not_the_teardown() -> None:
    run = ScriptedRun(failing=("lint",))
    assert not test_run.execute(run, static=True)
    assert "live-suites" not in run.calls
    assert run.calls[-2:] == ["destroy", "down"]
    assert run.phases["static checks"].outcome == "FAILED"
    assert run.phases["deploy"].outcome == "passed"


def test_a_failing_teardown_fails_a_run_that_passed() -> None:
    run = ScriptedRun(failing=("destroy",))
    assert not test_run.execute(run, static=False)
    # the cloud is stopped even though the destroy failed
    assert run.calls[-1] == "down"
    assert run.phases["teardown"].outcome == "FAILED"


def test_an_interrupted_run_still_tears_down() -> None:
    # GIVEN make test's handler for Ctrl-C
    signal.signal(signal.SIGINT, test_run.interrupt)
    # WHEN a Ctrl-C arrives while the suites run
    run = ScriptedRun(interrupting="live-suites")
    # THEN the run fails, nothing else starts, and the stacks are destroyed and the cloud stopped
    assert not test_run.execute(run, static=False)
    assert run.interrupted
    assert run.calls.count("test-faults") <= len(test_run.FAULT_STACKS)  # the restart, last, never started
    assert run.calls[-1] == "down"
    assert run.calls.count("destroy") == len(test_run.STACKS)


def test_a_failed_bring_up_is_tried_once_more_on_a_fresh_cloud() -> None:
    run = ScriptedRun(failing=("contract-deploy",))
    assert not test_run.execute(run, static=False)
    assert run.calls.count("localcloud down") == 2
    assert "live-suites" not in run.calls


def test_the_phases_file_holds_each_phase_and_the_wall_time(tmp_path: Path) -> None:
    run = ScriptedRun()
    assert test_run.execute(run, static=False)
    test_run.write_phases(tmp_path / "phases.json", run, 12.34, passed=True)
    figures = json.loads((tmp_path / "phases.json").read_text())
    assert figures["wall_s"] == 12.3
    assert figures["passed"] is True
    assert list(figures["phases"]) == ["deploy", "integration and contract", "faults", "teardown"]
