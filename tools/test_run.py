"""python -m tools.test_run: `make test`, phase by phase, with one teardown however the run ends.

The phases: the static checks, beside them the bring-up of make test's own
local clouds and stacks (mostly the AWS provider's waits, so it overlaps the
CPU-bound checks); then the live lanes side by side (the integration and
contract suites, then the worker faults, on the main stack; the faults that
change a stack's policy or functions on a stack of their own; the faults that
load or restart a whole cloud on a second cloud, so they disturb nobody's
timing); then a clean plan of every stack; then the teardown. Each phase and
lane prints its duration as it ends, the summary lists them all, and the
figures are written to a JSON file that `make bench` reads.

The clouds are kept between runs: the teardown of a passing run stops them
with their state saved (they persist), and the next run starts them from it,
so its deploy only applies what changed instead of creating every resource
again. Anything else (no saved state, FRESH=1, a failed or interrupted last
run, a reused cloud whose deploy fails) brings up fresh clouds. On CI
(--keep-clouds=no) nothing is kept: the teardown destroys every stack.

Every step is a make target (or the local cloud's CLI), so the commands stay
in one place, the Makefile, and the live ones run with make test's settings:
its own ports, workspaces and fast-failing stacks.
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
# A file per cloud, written by the teardown of a passing run that kept the cloud: the next run may start from it.
KEPT_CLOUDS = REPO_ROOT / "build" / "test-clouds"

STATIC = "static checks"
DEPLOY = "deploy"
LIVE = "suites and faults"
CLEAN_PLANS = "clean plans"
TEARDOWN = "teardown"

FAULTS_DIR = "tests/faults"


def fault_file(name: str) -> str:
    return f"{FAULTS_DIR}/{name}"


@dataclass(frozen=True)
class TestStack:
    """One of make test's pipeline stacks and the lane of work it hosts, in order: the suites, fault files, the
    inner-loop suite. Its workspace and name prefix are its own; cloud is its local cloud's port offset from
    TEST_PORT."""

    workspace: str
    name_prefix: str
    cloud: int = 0
    suites: bool = False
    faults: tuple[str, ...] = ()
    inner_loop: bool = False


# The integration and contract suites, then the worker faults (a killed and a hung worker under steady traffic).
MAIN = TestStack("test", "inbox-pipeline", suites=True, faults=(fault_file("test_processes.py"),))
# The faults that mostly wait (a redrive window, a log line) but change their stack (its IAM policy, a function's
# settings, a template). A fault file named nowhere joins them, so none is ever left out.
POLICY = TestStack("test-policy", "inbox-pipeline-policy")
# On a cloud of their own: the faults that start many environments at once (full batches), load the one
# MiniStack process that serves a cloud (the 5,000-message burst) or stop it (the restart); then make watch and
# make debug, which change how the stack's functions run (and put it back).
HEAVY = TestStack(
    "test-faults",
    "inbox-pipeline-faults",
    cloud=2,
    faults=tuple(fault_file(name) for name in ("test_batches.py", "test_burst.py", "test_restart.py")),
    inner_loop=True,
)
STACKS = (MAIN, POLICY, HEAVY)
CATCH_ALL = POLICY
CLOUDS = tuple(sorted({stack.cloud for stack in STACKS}))


def first_stack_on(cloud: int) -> TestStack:
    """The stack whose settings make a cloud's own targets (up, down) use."""
    return next(stack for stack in STACKS if stack.cloud == cloud)


def faults_of(stack: TestStack) -> tuple[str, ...]:
    """A stack's fault files; the catch-all stack also takes every fault file no stack names."""
    named = {path for s in STACKS for path in s.faults}
    on_disk = sorted(str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / FAULTS_DIR).glob("test_*.py"))
    return stack.faults + (tuple(p for p in on_disk if p not in named) if stack is CATCH_ALL else ())


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived: stop the phase under way, then tear down."""


@dataclass
class Phase:
    name: str
    seconds: float = 0.0
    outcome: str = "not run"


@dataclass
class Run:
    """What make test runs, with which settings, and what each phase and lane took."""

    port: int
    stack_vars: str
    pytest_args: str = ""
    # Stop the clouds with their state for the next run (a developer's clone), or destroy every stack (CI).
    keep_clouds: bool = True
    # Start from nothing even when a kept cloud could be reused (FRESH=1).
    fresh: bool = False
    phases: dict[str, Phase] = field(default_factory=dict)
    lanes: dict[str, Phase] = field(default_factory=dict)
    output_lock: threading.Lock = field(default_factory=threading.Lock)
    running: set[subprocess.Popen[str]] = field(default_factory=set)
    interrupted: bool = False
    reused: bool = False

    def cloud_port(self, cloud: int) -> int:
        return self.port + cloud

    def live_vars(self, stack: TestStack) -> list[str]:
        """A stack of make test's: on its local cloud (whose runner hosts that cloud's functions), in a workspace of
        its own, with the fast-failing settings and state persisted (kept clouds, and a fault restarts one)."""
        return [
            "TARGET=local",
            f"LOCALCLOUD_PORT={self.cloud_port(stack.cloud)}",
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

    def localcloud(self, cloud: int, *args: str, prefix: str = "") -> bool:
        """The local cloud's CLI on one of make test's clouds, for what no make target does (forgetting saved state)."""
        env_port = f"LOCALCLOUD_PORT={self.cloud_port(cloud)}"
        return self.run(["env", env_port, sys.executable, "-m", "localcloud", *args], prefix)

    @contextmanager
    def phase(self, name: str, lane: bool = False) -> Iterator[Phase]:
        """Time a phase (or a lane of the live phase) and print its start and end; the body sets the outcome."""
        phases = self.lanes if lane else self.phases
        phase = phases.setdefault(name, Phase(name))
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


def kept_cloud(run: Run, cloud: int) -> Path:
    return KEPT_CLOUDS / f"port-{run.cloud_port(cloud)}"


def start_cloud(run: Run, cloud: int, reuse: bool, prefix: str) -> bool:
    """Start one of make test's clouds: from the state a passing run kept, or from nothing."""
    if not reuse and not run.localcloud(cloud, "down", "--forget-state", prefix=prefix):
        return False
    return run.make("up", stack=first_stack_on(cloud), prefix=prefix)


def bring_up(run: Run, reuse: bool) -> bool:
    """Every cloud started and every stack and the contract probe deployed.

    The functions are zipped and Terraform initialised once, before the
    applies run side by side (they share the zips and .terraform). A kept
    cloud's applies change only what changed since; the clean plans that
    close the run prove either kind of bring-up left nothing to do.
    """
    prefix = "[deploy] "
    reuse = reuse and all(kept_cloud(run, cloud).exists() for cloud in CLOUDS)
    for cloud in CLOUDS:
        kept_cloud(run, cloud).unlink(missing_ok=True)
    run.reused = reuse
    run.say(prefix + ("starting the clouds the last run kept" if reuse else "starting fresh clouds"))
    starts = [lambda cloud=cloud: start_cloud(run, cloud, reuse, prefix) for cloud in CLOUDS]
    applies = [lambda: run.make("-j2", "deploy", "contract-deploy", prefix=prefix)]
    applies += [lambda stack=stack: run.make("deploy", stack=stack, prefix=prefix) for stack in STACKS[1:]]
    return side_by_side(run, *starts) and run.make("build", "init", prefix=prefix) and side_by_side(run, *applies)


def deploy(run: Run) -> bool:
    # A kept cloud that does not deploy is replaced by a fresh one. And on a loaded machine the provider's SDK
    # sometimes sends a create again after dropping a connection MiniStack had already answered
    # (docs/testing.md); a CreateResource sent twice fails the apply with a 409 and leaves a resource the state
    # does not hold, so only a fresh cloud recovers. The warning keeps either visible.
    with run.phase(DEPLOY) as phase:
        passed = bring_up(run, reuse=not run.fresh)
        if not passed and not run.interrupted:
            run.say("warning: bringing up make test's stacks failed (see above and build/logs); once more, fresh")
            passed = bring_up(run, reuse=False)
        return run.step(phase, passed)


def suites(run: Run) -> bool:
    """The integration and contract suites in one parallel pytest run on the main stack."""
    return run.make("live-suites", f"PYTEST_ARGS={run.pytest_args}", prefix="[suites] ")


def fault_files(run: Run, stack: TestStack, files: Sequence[str]) -> bool:
    return run.make(
        "test-faults",
        f"FAULTS={' '.join(files)}",
        f"PYTEST_ARGS={run.pytest_args}",
        stack=stack,
        prefix=f"[faults {stack.workspace.removeprefix('test').strip('-') or 'main'}] ",
    )


def inner_loop(run: Run, stack: TestStack) -> bool:
    """make watch and make debug: they change how the stack's functions run (sources, a debugger, lifted
    timeouts) and put it all back, so they follow that stack's faults, never share a stack with the suites."""
    return run.make("test-devloop", f"PYTEST_ARGS={run.pytest_args}", stack=stack, prefix="[inner loop] ")


def lane_name(stack: TestStack) -> str:
    parts = ["integration and contract"] if stack.suites else []
    parts += [Path(f).stem.removeprefix("test_") for f in faults_of(stack)]
    parts += ["inner loop"] if stack.inner_loop else []
    return f"{stack.workspace}: {', '.join(parts)}"


def lane(run: Run, stack: TestStack) -> bool:
    """A stack's work in order; a failure ends the lane (the other lanes go on)."""
    steps: list[Callable[[], bool]] = [lambda: suites(run)] if stack.suites else []
    if files := faults_of(stack):
        steps.append(lambda: fault_files(run, stack, files))
    if stack.inner_loop:
        steps.append(lambda: inner_loop(run, stack))
    with run.phase(lane_name(stack), lane=True) as phase:
        return run.step(phase, all(step() for step in steps))


def live(run: Run) -> bool:
    """Every lane side by side, then a clean plan of every stack (after the lanes: a fault changes a stack and
    a module's template on disk while it runs; each puts back what it changed)."""
    with run.phase(LIVE) as phase:
        lanes = run.step(phase, side_by_side(run, *(lambda stack=stack: lane(run, stack) for stack in STACKS)))
    if not lanes:
        return False
    with run.phase(CLEAN_PLANS) as phase:
        plans = [lambda stack=stack: run.make("clean-plan", stack=stack, prefix="[plans] ") for stack in STACKS]
        return run.step(phase, side_by_side(run, *plans))


def teardown(run: Run, passed: bool) -> bool:
    """Stop make test's clouds, keeping their state for the next run (marked reusable only after a pass), or
    destroy every stack first (CI); every step is tried, and any failing fails the run."""
    with run.phase(TEARDOWN) as phase:
        logs = REPO_ROOT / "build" / "logs"

        def destroy(stack: TestStack) -> bool:
            log = logs / f"destroy-{stack.workspace}.log"
            return run.make("destroy", stack=stack, prefix="[teardown] ", log=log)

        destroyed = run.keep_clouds or side_by_side(run, *(lambda stack=stack: destroy(stack) for stack in STACKS))
        stopped = side_by_side(
            run,
            *(
                lambda cloud=cloud: run.make("down", stack=first_stack_on(cloud), prefix="[teardown] ")
                for cloud in CLOUDS
            ),
        )
        if run.keep_clouds and stopped and passed:
            KEPT_CLOUDS.mkdir(parents=True, exist_ok=True)
            for cloud in CLOUDS:
                kept_cloud(run, cloud).touch()
            run.say(
                "[teardown] the clouds are stopped with their state: the next make test starts from it (not FRESH=1)"
            )
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
    lines = ["", "make test: phases (static checks and deploy side by side, then the lanes side by side)"]
    for p in run.phases.values():
        note = " (kept clouds)" if p.name == DEPLOY and run.reused else ""
        lines.append(f"  {p.name:<26} {p.seconds:7.1f} s  {p.outcome}{note}")
        if p.name == LIVE:
            lines += [f"    {lane.seconds:7.1f} s  {lane.outcome:<8} {lane.name}" for lane in run.lanes.values()]
    lines.append(f"  {'total':<26} {wall_seconds:7.1f} s  {'passed' if passed else 'FAILED'}")
    run.say("\n".join(lines))


def write_phases(path: Path, run: Run, wall_seconds: float, passed: bool) -> None:
    """The figures `make bench` records: each phase's and lane's seconds and outcome, the wall time, the verdict."""
    path.parent.mkdir(parents=True, exist_ok=True)

    def figures_of(phases: dict[str, Phase]) -> dict[str, dict[str, object]]:
        return {p.name: {"seconds": round(p.seconds, 1), "outcome": p.outcome} for p in phases.values()}

    figures = {
        "phases": figures_of(run.phases),
        "lanes": figures_of(run.lanes),
        "kept_clouds_reused": run.reused,
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
        passed = side_by_side(run, *tasks) and live(run)
    except Interrupted as why:
        run.interrupted = True
        run.stop_all()
        run.say(f"interrupted ({why})" + (": tearing down" if deploy_started else ""))
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if deploy_started:
            passed = teardown(run, passed) and passed
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.test_run", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="make test's first local cloud (TEST_PORT)")
    parser.add_argument("--stack-vars", default="", help="Terraform -var flags of make test's stack (TEST_STACK_VARS)")
    parser.add_argument("--pytest-args", default="", help="extra pytest arguments for the live suites (PYTEST_ARGS)")
    parser.add_argument("--live-only", action="store_true", help="skip the static checks (make test-live)")
    parser.add_argument(
        "--keep-clouds",
        choices=("yes", "no"),
        default="yes",
        help="stop the clouds with their state for the next run (yes), or destroy every stack (no: CI)",
    )
    parser.add_argument("--phases-file", type=Path, default=PHASES_FILE, help="where to write the phases' figures")
    args = parser.parse_args(argv)
    run = Run(
        port=args.port,
        stack_vars=args.stack_vars,
        pytest_args=args.pytest_args,
        keep_clouds=args.keep_clouds == "yes",
        fresh=os.environ.get("FRESH", "") not in ("", "0", "no"),
    )
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
