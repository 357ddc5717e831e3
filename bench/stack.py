"""A private local cloud and stack for the benchmark, driven through the Makefile.

The benchmark measures what a user runs (`make deploy`), on its own port and
workspace, so it never disturbs a developer's stack or `make test`.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from tests.live.stack import Stack, read_stack

REPO_ROOT = Path(__file__).resolve().parent.parent


def run_with_progress(command: list[str], env: dict[str, str], label: str) -> tuple[int, str]:
    """Run command, stdout and stderr merged, showing elapsed time, lines so far and the latest line."""
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )
    lines: list[str] = []

    def read() -> None:
        for line in process.stdout or ():
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    with tqdm(desc=label, unit=" lines", bar_format="{desc}: {elapsed} elapsed, {n} lines of output{postfix}") as bar:
        while reader.is_alive():
            reader.join(timeout=1)
            latest = next((line.strip() for line in reversed(lines) if line.strip()), "")
            bar.n = len(lines)
            bar.set_postfix_str(latest[:70], refresh=False)
            bar.refresh()
    return process.wait(), "".join(lines)


@dataclass
class BenchCloud:
    port: int = 4590
    workspace: str = "bench"
    extra_tf_vars: str = ""
    extra_functions: tuple[str, ...] = ()
    env_overrides: dict[str, str] = field(default_factory=dict)

    @property
    def make_vars(self) -> list[str]:
        return [
            f"LOCALCLOUD_PORT={self.port}",
            f"WORKSPACE={self.workspace}",
            "SELECT_WORKSPACE=no",
            f"EXTRA_TF_VARS={self.extra_tf_vars}",
            f"EXTRA_FUNCTIONS={' '.join(self.extra_functions)}",
        ]

    def activate(self) -> None:
        """Point this process's boto3 and terraform output at this cloud."""
        os.environ.update(self.aws_env)

    @property
    def aws_env(self) -> dict[str, str]:
        """What the Makefile exports for the local target, for calls made from Python."""
        return {
            "AWS_ENDPOINT_URL": f"http://localhost:{self.port}",
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "us-east-1",
            "TF_WORKSPACE": self.workspace,
        }

    def make(self, *targets: str, check: bool = True, progress: str | None = None) -> tuple[float, str]:
        """Run make targets; returns (seconds, combined output).

        With progress, a line on the terminal counts the elapsed time and the
        output lines and shows the latest, for targets that run for minutes.
        """
        command = ["make", *targets, *self.make_vars]
        env = {**os.environ, **self.env_overrides}
        started = time.perf_counter()
        if progress is None:
            result = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
            returncode, output = result.returncode, result.stdout + result.stderr
            tail = result.stdout[-3000:] + result.stderr[-2000:]
        else:
            returncode, output = run_with_progress(command, env, progress)
            tail = output[-5000:]
        elapsed = time.perf_counter() - started
        if check and returncode != 0:
            raise RuntimeError(f"make {' '.join(targets)} failed:\n{tail}")
        return elapsed, output

    def forget_state(self) -> None:
        """A cold deploy starts from no state, as on a fresh machine."""
        state = REPO_ROOT / "terraform.tfstate.d" / self.workspace
        for name in ("terraform.tfstate", "terraform.tfstate.backup"):
            (state / name).unlink(missing_ok=True)

    def stack(self) -> Stack:
        self.activate()
        deployed = read_stack()
        if deployed is None:
            raise RuntimeError("the benchmark stack is not deployed")
        return deployed
