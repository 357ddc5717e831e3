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

    def __init__(
        self, failing: tuple[str, ...] = (), interrupting: str | None = None, keep_clouds: bool = True
    ) -> None:
        super().__init__(port=4999, stack_vars="-var x=1", keep_clouds=keep_clouds)
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
def kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the teardown marks the clouds it kept: a folder of the test's own."""
    monkeypatch.setattr(test_run, "KEPT_CLOUDS", tmp_path / "kept")
    return tmp_path / "kept"


def mark_kept(kept: Path) -> None:
    """As a passing run's teardown leaves things: every cloud kept."""
    kept.mkdir()
    for cloud in test_run.CLOUDS:
        (kept / f"port-{4999 + cloud}").touch()


@pytest.fixture(autouse=True)
def _signals_restored() -> None:
    """execute() ignores signals once it tears down; give the next test the default handlers back."""
    yield
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def test_a_passing_run_goes_through_every_phase_and_keeps_its_clouds(kept: Path) -> None:
    run = ScriptedRun()
    assert test_run.execute(run, static=True)
    # every stack's lane: the suites on the main one, every stack's fault files, the inner-loop suite
    assert run.calls.count("live-suites") == 1
    assert run.calls.count("test-faults") == sum(bool(test_run.faults_of(s)) for s in test_run.STACKS) == 3
    assert run.calls.count("test-devloop") == 1
    # then a clean plan of every stack, once the lanes are done
    assert run.calls.count("clean-plan") == len(test_run.STACKS)
    assert run.calls.index("clean-plan") > max(
        i for i, c in enumerate(run.calls) if c in ("test-faults", "test-devloop")
    )
    # the clouds are stopped, not destroyed, and marked for the next run
    assert "destroy" not in run.calls
    assert run.calls[-len(test_run.CLOUDS) :] == ["down"] * len(test_run.CLOUDS)
    assert sorted(p.name for p in kept.iterdir()) == ["port-4999", "port-5001"]
    assert list(run.phases) == ["static checks", "deploy", "suites and faults", "clean plans", "teardown"]
    assert len(run.lanes) == len(test_run.STACKS)
    assert {p.outcome for p in [*run.phases.values(), *run.lanes.values()]} == {"passed"}


def test_on_ci_every_stack_is_destroyed_and_nothing_kept(kept: Path) -> None:
    run = ScriptedRun(keep_clouds=False)
    assert test_run.execute(run, static=False)
    assert run.calls.count("destroy") == len(test_run.STACKS)
    assert run.calls[-1] == "down"
    assert not kept.exists()


def test_the_next_run_starts_from_the_kept_clouds(kept: Path) -> None:
    mark_kept(kept)
    run = ScriptedRun()
    assert test_run.execute(run, static=False)
    assert run.reused
    assert "localcloud down" not in run.calls  # no state forgotten
    assert run.calls.count("up") == len(test_run.CLOUDS)


def test_a_kept_cloud_that_fails_to_deploy_is_replaced_by_a_fresh_one(kept: Path) -> None:
    # GIVEN kept clouds, and a deploy that fails on them
    mark_kept(kept)
    run = ScriptedRun(failing=("contract-deploy",))
    # WHEN the run brings its clouds up, THEN the second try forgets every cloud's state
    assert not test_run.execute(run, static=False)
    assert run.calls.count("localcloud down") == len(test_run.CLOUDS)
    assert "live-suites" not in run.calls
    # AND a failed run leaves no cloud marked for reuse
    assert not list(kept.iterdir())


def test_fresh_never_reuses_a_kept_cloud(kept: Path) -> None:
    mark_kept(kept)
    run = ScriptedRun()
    run.fresh = True
    assert test_run.execute(run, static=False)
    assert not run.reused
    assert run.calls.count("localcloud down") == len(test_run.CLOUDS)


def test_every_fault_file_runs_on_exactly_one_stack() -> None:
    files = [path for stack in test_run.STACKS for path in test_run.faults_of(stack)]
    on_disk = sorted(p.name for p in (test_run.REPO_ROOT / "tests" / "faults").glob("test_*.py"))
    assert sorted(Path(f).name for f in files) == on_disk


def test_the_faults_that_restart_or_load_a_cloud_have_it_to_themselves() -> None:
    (heavy,) = [s for s in test_run.STACKS if "test_restart.py" in " ".join(test_run.faults_of(s))]
    assert [s for s in test_run.STACKS if s.cloud == heavy.cloud] == [heavy]
    assert not heavy.suites


def test_a_failing_static_check_skips_the_lanes_but_not_the_teardown(kept: Path) -> None:
    run = ScriptedRun(failing=("lint",))
    assert not test_run.execute(run, static=True)
    assert "live-suites" not in run.calls
    assert run.calls[-1] == "down"
    assert run.phases["static checks"].outcome == "FAILED"
    assert run.phases["deploy"].outcome == "passed"
    assert not kept.exists()


def test_a_failing_lane_lets_the_others_finish_and_skips_the_clean_plans() -> None:
    run = ScriptedRun(failing=("live-suites",))
    assert not test_run.execute(run, static=False)
    # the suites' lane stops (its worker faults never run), the other lanes run to their end
    assert run.calls.count("test-faults") == 2
    assert "test-devloop" in run.calls
    assert "clean-plan" not in run.calls
    assert [lane.outcome for lane in run.lanes.values()].count("FAILED") == 1


def test_a_failing_teardown_fails_a_run_that_passed() -> None:
    run = ScriptedRun(failing=("destroy",), keep_clouds=False)
    assert not test_run.execute(run, static=False)
    # the clouds are stopped even though the destroy failed
    assert run.calls[-1] == "down"
    assert run.phases["teardown"].outcome == "FAILED"


def test_an_interrupted_run_still_tears_down(kept: Path) -> None:
    # GIVEN make test's handler for Ctrl-C
    signal.signal(signal.SIGINT, test_run.interrupt)
    # WHEN a Ctrl-C arrives while the suites run
    run = ScriptedRun(interrupting="live-suites")
    # THEN the run fails, the clean plans never start, the clouds are stopped and not marked for reuse
    assert not test_run.execute(run, static=False)
    assert run.interrupted
    assert "clean-plan" not in run.calls
    assert run.calls[-len(test_run.CLOUDS) :] == ["down"] * len(test_run.CLOUDS)
    assert not kept.exists()


def test_a_failed_bring_up_is_tried_once_more_on_fresh_clouds() -> None:
    run = ScriptedRun(failing=("contract-deploy",))
    assert not test_run.execute(run, static=False)
    assert run.calls.count("localcloud down") == 2 * len(test_run.CLOUDS)
    assert "live-suites" not in run.calls


def test_the_phases_file_holds_each_phase_each_lane_and_the_wall_time(tmp_path: Path) -> None:
    run = ScriptedRun()
    assert test_run.execute(run, static=False)
    test_run.write_phases(tmp_path / "phases.json", run, 12.34, passed=True)
    figures = json.loads((tmp_path / "phases.json").read_text())
    assert figures["wall_s"] == 12.3
    assert figures["passed"] is True
    assert figures["kept_clouds_reused"] is False
    assert list(figures["phases"]) == ["deploy", "suites and faults", "clean plans", "teardown"]
    assert set(figures["lanes"]) == {test_run.lane_name(stack) for stack in test_run.STACKS}
