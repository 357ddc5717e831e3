"""python -m tools.test_run: `make test`, phase by phase, with one teardown however the run ends.

The phases: the static checks, beside them the deploy of a fresh local cloud
and stack of make test's own (the deploy is mostly the AWS provider's waits,
so it overlaps the CPU-bound checks), then the integration and contract
suites, then the fault suite, then the teardown. The teardown (destroy the
stack, stop the cloud) runs once a deploy has started, whether the run
passed, failed or was interrupted (Ctrl-C, SIGTERM), and its failure fails the
run. Each phase prints its duration as it ends, the summary lists them all, and
the figures are written to a JSON file that `make bench` reads.

Every step is a make target (or the local cloud's CLI), so the commands stay
in one place, the Makefile, and the live ones run with make test's settings:
its own port, workspace and fast-failing stack.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

REPO_ROOT = Path(__file__).resolve().parent.parent
PHASES_FILE = REPO_ROOT / "build" / "test-phases.json"

STATIC = "static checks"
DEPLOY = "deploy"
SUITES = "integration and contract"
FAULTS = "faults"
TEARDOWN = "teardown"


@dataclass(frozen=True)
class TestStack:
    """One of make test's pipeline stacks, all in its one local cloud: a workspace and a name prefix of its own."""

    workspace: str
    name_prefix: str
    # The fault test files run on it, one after the other.
    faults: tuple[str, ...] = ()


FAULTS_DIR = "tests/faults"
# The main stack: the integration and contract suites, then, alone, the faults
# that need the machine to themselves: the 5,000-message burst and the worker
# faults' steady traffic load the one MiniStack process that serves every
# stack, the full-batch faults start many environments at once (cold starts
# that, beside the suites, ran past the 3 s timeout), the restart stops the
# cloud.
MAIN = TestStack(
    "test",
    "inbox-pipeline",
    faults=tuple(
        f"{FAULTS_DIR}/{name}" for name in ("test_batches.py", "test_burst.py", "test_processes.py", "test_restart.py")
    ),
)
# The faults that mostly wait (for a redrive window, a log line) but change
# their stack (its IAM policy, a function's settings) run beside the
# integration and contract suites on a stack of their own. A fault file named
# nowhere joins them, so none is ever left out.
FAULT_STACKS = (TestStack("test-policy", "inbox-pipeline-policy"),)
STACKS = (MAIN, *FAULT_STACKS)


def fault_groups(stacks: Sequence[TestStack] = FAULT_STACKS) -> list[tuple[TestStack, tuple[str, ...]]]:
    """Each fault stack with its files; the last one also takes every fault file no stack names."""
    named = {path for stack in STACKS for path in stack.faults}
    rest = tuple(sorted(str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / FAULTS_DIR).glob("test_*.py")))
    unnamed = tuple(path for path in rest if path not in named)
    return [(stack, stack.faults + (unnamed if stack is stacks[-1] else ())) for stack in stacks]


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived: stop the phase under way, then tear down."""


@dataclass
class Phase:
    name: str
    seconds: float = 0.0
    outcome: str = "not run"


@dataclass
class Run:
    """What make test runs, with which settings, and what each phase took."""

    port: int
    stack_vars: str
    pytest_args: str = ""
    phases: dict[str, Phase] = field(default_factory=dict)
    output_lock: threading.Lock = field(default_factory=threading.Lock)
    running: set[subprocess.Popen[str]] = field(default_factory=set)
    interrupted: bool = False

    def live_vars(self, stack: TestStack) -> list[str]:
        """make test's stacks: a local cloud of its own (its runner hosts every stack's functions), a workspace
        per stack, the fast-failing settings, state persisted so a fault can restart the cloud with a backlog."""
        return [
            "TARGET=local",
            f"LOCALCLOUD_PORT={self.port}",
            f"WORKSPACE={stack.workspace}",
            f"NAME_PREFIX={stack.name_prefix}",
            "SELECT_WORKSPACE=no",
            f"EXTRA_TF_VARS={self.stack_vars}",
            "LOCALCLOUD_PERSIST=true",
        ]

    def say(self, text: str, prefix: str = "") -> None:
        with self.output_lock:
            for line in text.splitlines() or [""]:
                print(f"{prefix}{line}", flush=True)

    def run(self, command: Sequence[str], prefix: str = "", log: Path | None = None) -> bool:
        """Run one command, its output streamed behind prefix (or into log); True when it passed.

        Each command gets a process group of its own, so a Ctrl-C reaches this
        script alone: it stops the command under way itself (stop_all), and the
        teardown's commands cannot be cut short.
        """
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        with self.output_lock:
            self.running.add(process)
        try:
            assert process.stdout is not None
            lines = [self.show(line.rstrip("\n"), prefix, log is None) for line in process.stdout]
            passed = process.wait() == 0
        except Interrupted:
            self.interrupted = True
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGINT)
            process.wait()
            raise
        finally:
            with self.output_lock:
                self.running.discard(process)
        if log is not None:
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text("\n".join(lines) + "\n")
            if not passed:
                self.say("\n".join(lines[-20:]), prefix)
                self.say(f"error: {' '.join(command[:2])} failed; full log: {log.relative_to(REPO_ROOT)}", prefix)
        return passed

    def show(self, line: str, prefix: str, echo: bool) -> str:
        if echo:
            self.say(line, prefix)
        return line

    def stop_all(self) -> None:
        """Interrupt every command under way (SIGINT to its process group), as a Ctrl-C would have."""
        with self.output_lock:
            processes = list(self.running)
        for process in processes:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGINT)

    def make(self, *targets: str, stack: TestStack | None = MAIN, prefix: str = "", log: Path | None = None) -> bool:
        """make targets, with the settings of one of make test's stacks unless stack is None."""
        return self.run(["make", *targets, *(self.live_vars(stack) if stack else [])], prefix, log)

    def localcloud(self, *args: str, prefix: str = "") -> bool:
        """The local cloud's CLI on make test's port, for what no make target does (forgetting saved state)."""
        env_port = f"LOCALCLOUD_PORT={self.port}"
        return self.run(["env", env_port, sys.executable, "-m", "localcloud", *args], prefix)

    @contextmanager
    def phase(self, name: str) -> Iterator[Phase]:
        """Time a phase and print its start and end; the body sets the outcome."""
        phase = self.phases.setdefault(name, Phase(name))
        self.say(f"==> {name}")
        started = time.monotonic()
        try:
            yield phase
        except Interrupted:
            phase.outcome = "interrupted"
            raise
        finally:
            phase.seconds += time.monotonic() - started
            self.say(f"<== {name}: {phase.outcome} in {phase.seconds:.1f} s")

    def step(self, phase: Phase, passed: bool) -> bool:
        """Record a part of a phase: a phase passes only if every part of it did."""
        if phase.outcome in ("not run", "passed"):
            phase.outcome = "passed" if passed else "interrupted" if self.interrupted else "FAILED"
        return passed


def static_checks(run: Run) -> bool:
    """Lint, validate and the unit tests: nothing here needs a cloud."""
    with run.phase(STATIC) as phase:
        targets = ("lint", "validate", "test-unit")
        return run.step(phase, all(run.make(target, stack=None, prefix="[static] ") for target in targets))


def bring_up(run: Run) -> bool:
    """A fresh local cloud (no saved state) with every stack and the contract probe deployed, each plan clean.

    The functions are zipped and Terraform initialised once, before the
    applies run side by side (they share the zips and .terraform).
    """
    prefix = "[deploy] "
    applies = [lambda: run.make("-j2", "deploy", "contract-deploy", prefix=prefix)]
    applies += [lambda stack=stack: run.make("deploy", stack=stack, prefix=prefix) for stack in FAULT_STACKS]
    return (
        run.localcloud("down", "--forget-state", prefix=prefix)
        and run.make("up", "build", "init", prefix=prefix)
        and side_by_side(run, *applies)
        and clean_plans(run, prefix)
    )


def clean_plans(run: Run, prefix: str) -> bool:
    """Every stack's plan is clean: nothing drifted (after the faults: each one put back what it changed)."""
    return side_by_side(
        run, *(lambda stack=stack: run.make("clean-plan", stack=stack, prefix=prefix) for stack in STACKS)
    )


def deploy(run: Run) -> bool:
    # On a loaded machine the provider's SDK sometimes sends a create again after dropping a connection
    # MiniStack had already answered (docs/testing.md); a CreateResource sent twice fails the apply with a 409
    # and leaves a resource the state does not hold, so only a fresh cloud recovers. The warning keeps it visible.
    with run.phase(DEPLOY) as phase:
        passed = bring_up(run)
        if not passed and not run.interrupted:
            run.say(
                "warning: bringing up make test's stack failed (see above and build/logs); once more on a fresh cloud"
            )
            passed = bring_up(run)
        return run.step(phase, passed)


def suites(run: Run) -> bool:
    """The integration and contract suites in one parallel pytest run on the main stack."""
    with run.phase(SUITES) as phase:
        return run.step(phase, run.make("live-suites", f"PYTEST_ARGS={run.pytest_args}", prefix="[suites] "))


def fault_files(run: Run, stack: TestStack, files: Sequence[str]) -> bool:
    label = stack.workspace.removeprefix("test-") if stack is not MAIN else "alone"
    return run.make(
        "test-faults",
        f"FAULTS={' '.join(files)}",
        f"PYTEST_ARGS={run.pytest_args}",
        stack=stack,
        prefix=f"[faults {label}] ",
    )


def inner_loop(run: Run, stack: TestStack) -> bool:
    """make watch and make debug on a fault stack: they change how its functions run (sources, a debugger,
    lifted timeouts) and put it all back, so they follow that stack's faults, never share the main stack."""
    return run.make("test-devloop", f"PYTEST_ARGS={run.pytest_args}", stack=stack, prefix="[inner loop] ")


def fault_group(run: Run, stack: TestStack, files: Sequence[str]) -> bool:
    """A fault stack's files; the last fault stack then hosts the inner-loop suite."""
    return fault_files(run, stack, files) and (stack is not FAULT_STACKS[-1] or inner_loop(run, stack))


def faults_beside_the_suites(run: Run) -> bool:
    """Every fault group on its own stack, side by side, while the suites use the main one."""
    with run.phase(FAULTS) as phase:
        groups = [lambda stack=stack, files=files: fault_group(run, stack, files) for stack, files in fault_groups()]
        return run.step(phase, side_by_side(run, *groups))


def faults_alone(run: Run) -> bool:
    """The faults that load or stop the whole cloud, once nothing else runs; then every plan is clean."""
    with run.phase(FAULTS) as phase:
        passed = fault_files(run, MAIN, MAIN.faults) and clean_plans(run, "[faults] ")
        return run.step(phase, passed)


def teardown(run: Run) -> bool:
    """Destroy make test's stacks and stop its cloud; all are tried, and any failing fails the run."""
    with run.phase(TEARDOWN) as phase:
        logs = REPO_ROOT / "build" / "logs"

        def destroy(stack: TestStack) -> bool:
            log = logs / f"destroy-{stack.workspace}.log"
            return run.make("destroy", stack=stack, prefix="[teardown] ", log=log)

        destroyed = side_by_side(run, *(lambda stack=stack: destroy(stack) for stack in STACKS))
        stopped = run.make("down", prefix="[teardown] ")
        return run.step(phase, destroyed and stopped)


def side_by_side(run: Run, *tasks: Callable[[], bool]) -> bool:
    """Run tasks in threads and wait for every one (a failed one does not cut the others short); True if all passed.

    On an interruption the commands under way are stopped and every task is
    waited for, so the teardown never runs beside a deploy still applying.
    """
    outcomes: list[bool | None] = [None] * len(tasks)

    def runner(index: int, task: Callable[[], bool]) -> None:
        passed = False
        try:
            with suppress(Interrupted):
                passed = task()
        finally:
            outcomes[index] = passed

    for index, task in enumerate(tasks):
        threading.Thread(target=runner, args=(index, task), daemon=True).start()
    # Polled, not joined: an exception raised inside Thread.join (the signal handler's) can leave the thread
    # looking finished while it still runs.
    try:
        while None in outcomes:
            time.sleep(0.1)
    except Interrupted:
        run.interrupted = True
        run.stop_all()
        while None in outcomes:
            time.sleep(0.1)
        raise
    return all(outcomes)


def interrupt(signum: int, _frame: FrameType | None) -> None:
    """The first SIGINT or SIGTERM stops the run; later ones are ignored, so nothing cuts the teardown short."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Interrupted(signal.Signals(signum).name)


def summary(run: Run, wall_seconds: float, passed: bool) -> None:
    lines = ["", "make test: phases (static checks and deploy run side by side)"]
    lines += [f"  {p.name:<26} {p.seconds:7.1f} s  {p.outcome}" for p in run.phases.values()]
    lines.append(f"  {'total':<26} {wall_seconds:7.1f} s  {'passed' if passed else 'FAILED'}")
    run.say("\n".join(lines))


def write_phases(path: Path, run: Run, wall_seconds: float, passed: bool) -> None:
    """The figures `make bench` records: each phase's seconds and outcome, the wall time, the verdict."""
    path.parent.mkdir(parents=True, exist_ok=True)
    figures = {
        "phases": {p.name: {"seconds": round(p.seconds, 1), "outcome": p.outcome} for p in run.phases.values()},
        "wall_s": round(wall_seconds, 1),
        "passed": passed,
    }
    path.write_text(json.dumps(figures, indent=1) + "\n")


def execute(run: Run, static: bool) -> bool:
    """The phases in order; the teardown once a deploy has started, however the rest ends."""
    deploy_started = False

    def deploy_task() -> bool:
        nonlocal deploy_started
        deploy_started = True
        return deploy(run)

    passed = False
    try:
        tasks = (lambda: static_checks(run), deploy_task) if static else (deploy_task,)
        passed = (
            side_by_side(run, *tasks)
            and side_by_side(run, lambda: suites(run), lambda: faults_beside_the_suites(run))
            and faults_alone(run)
        )
    except Interrupted as why:
        run.interrupted = True
        run.stop_all()
        run.say(f"interrupted ({why})" + (": tearing down" if deploy_started else ""))
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if deploy_started:
            passed = teardown(run) and passed
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.test_run", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="make test's local cloud (TEST_PORT)")
    parser.add_argument("--stack-vars", default="", help="Terraform -var flags of make test's stack (TEST_STACK_VARS)")
    parser.add_argument("--pytest-args", default="", help="extra pytest arguments for the live suites (PYTEST_ARGS)")
    parser.add_argument("--live-only", action="store_true", help="skip the static checks (make test-live)")
    parser.add_argument("--phases-file", type=Path, default=PHASES_FILE, help="where to write the phases' figures")
    args = parser.parse_args(argv)
    run = Run(port=args.port, stack_vars=args.stack_vars, pytest_args=args.pytest_args)
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    started = time.monotonic()
    passed = execute(run, static=not args.live_only)
    wall = time.monotonic() - started
    summary(run, wall, passed)
    write_phases(args.phases_file, run, wall, passed)
    return 0 if passed else 130 if run.interrupted else 1


if __name__ == "__main__":
    sys.exit(main())
