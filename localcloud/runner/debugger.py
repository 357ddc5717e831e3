"""Running a worker under debugpy: the command line that wraps the worker's own.

Kept apart from the worker protocol: whatever the worker runs (a script, or
`-m module`), it runs the same way under the debugger (debug_launch.py), with
debugpy's folder on its path only in this mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

LAUNCHER = Path(__file__).with_name("debug_launch.py")


@dataclass(frozen=True)
class Debugger:
    """A debugpy listening on 127.0.0.1:port, imported from debugpy_dir (a pip --target folder)."""

    port: int
    debugpy_dir: Path


def split_interpreter_options(argv: list[str]) -> tuple[list[str], list[str]]:
    """([python, its options], [what it runs: a script or -m module, with their arguments])."""
    for index, arg in enumerate(argv[1:], start=1):
        if arg == "-m" or not arg.startswith("-"):
            return argv[:index], argv[index:]
    raise ValueError(f"not a command that runs a script or a module: {argv}")


def debug_command(argv: list[str], debugger: Debugger) -> list[str]:
    """The worker's command line under debugpy, which waits for a client before it starts the worker."""
    interpreter, target = split_interpreter_options(argv)
    # Frozen standard modules would make debugpy miss breakpoints in them (it warns on every start).
    return [
        *interpreter,
        "-X",
        "frozen_modules=off",
        str(LAUNCHER),
        str(debugger.debugpy_dir),
        str(debugger.port),
        *target,
    ]
