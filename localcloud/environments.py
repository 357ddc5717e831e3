"""The local cloud's virtualenv and the runtime SDK folder, built once per pin set.

A stamp holding the hash of the requirements file decides whether to rebuild,
so changing a pin rebuilds and nothing else does.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from localcloud.errors import LocalCloudError
from localcloud.interpreter import find_python
from localcloud.settings import Settings

HERE = Path(__file__).resolve().parent
MINISTACK_REQUIREMENTS = HERE / "requirements-ministack.txt"
RUNTIME_REQUIREMENTS = HERE / "requirements-runtime.txt"


def stamp_for(requirements: Path, python: str) -> str:
    return hashlib.sha256(requirements.read_bytes() + python.encode()).hexdigest()


def up_to_date(folder: Path, stamp: str) -> bool:
    stamp_file = folder / ".stamp"
    return stamp_file.exists() and stamp_file.read_text() == stamp


@contextlib.contextmanager
def install_lock(settings: Settings) -> Iterator[None]:
    """One installer at a time: `make test` builds these from two places at once on a fresh clone."""
    settings.home.mkdir(parents=True, exist_ok=True)
    with (settings.home / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def run_pip(args: list[str], what: str) -> None:
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-5:])
        raise LocalCloudError(f"installing {what} failed:\n{tail}")


def install_once(settings: Settings, folder: Path, requirements: Path, what: str, *, as_venv: bool) -> None:
    """(Re)build folder unless its stamp says the same pins are in it already.

    As a virtualenv of the runtime's Python, or as a plain `pip --target` folder
    that the isolated Lambda workers put on their path.
    """
    python = find_python(settings.runtime_version)
    stamp = stamp_for(requirements, python)
    with install_lock(settings):
        if up_to_date(folder, stamp):
            return
        print(
            f"localcloud: installing {what} into {folder} (Python {settings.runtime_version}, "
            f"{requirements.name}); this takes a minute once",
            file=sys.stderr,
            flush=True,
        )
        shutil.rmtree(folder, ignore_errors=True)
        target: list[str] = []
        if as_venv:
            subprocess.run([python, "-m", "venv", str(folder)], check=True)
            python = str(folder / "bin" / "python")
        else:
            target = ["--target", str(folder)]
        pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        run_pip([*pip, *target, "-r", str(requirements)], what)
        (folder / ".stamp").write_text(stamp)


def ensure_venv(settings: Settings) -> Path:
    """The virtualenv MiniStack runs from; returns its python."""
    install_once(settings, settings.venv, MINISTACK_REQUIREMENTS, "the local cloud (MiniStack)", as_venv=True)
    return settings.venv / "bin" / "python"


def ensure_runtime_sdk(settings: Settings) -> Path:
    """The runtime's own folder (boto3, awslambdaric and their dependencies), installed for the runtime's Python."""
    target = settings.runtime_sdk
    install_once(settings, target, RUNTIME_REQUIREMENTS, "the Lambda runtime's SDK", as_venv=False)
    return target
