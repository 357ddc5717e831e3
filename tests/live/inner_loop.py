"""make watch / make debug as a child process, for the inner-loop suite and the benchmark."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading

from localcloud.processes import wait_until
from tests.conftest import REPO_ROOT

START_SECONDS = 120  # a first make debug installs debugpy
STOP_SECONDS = 60


class InnerLoop:
    """A running `python -m localcloud watch`, as make watch / make debug run it, and its output so far."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "localcloud", "watch", *args],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self.read, daemon=True).start()

    def read(self) -> None:
        for line in self.process.stdout or ():
            self.lines.append(line.rstrip("\n"))

    def wait_for_line(self, prefix: str, timeout: float = START_SECONDS, after: int = 0) -> str:
        """The latest line starting with prefix, among those from index `after` on, once there is one."""

        def matching() -> list[str]:
            return [line for line in self.lines[after:] if line.startswith(prefix)]

        wait_until(lambda: bool(matching()) or not self.alive, timeout)
        if not matching():
            raise RuntimeError(f"no line starting {prefix!r} within {timeout} s; output: {self.lines}")
        return matching()[-1]

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> int:
        """Ctrl-C, as a developer leaves it; its exit status."""
        if self.alive:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
