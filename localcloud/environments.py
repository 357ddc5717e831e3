"""The local cloud's virtualenv and the runtime SDK folder, built once per pin set.

A stamp holding the hash of the requirements file decides whether to rebuild,
so changing a pin rebuilds and nothing else does.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
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


def run_pip(args: list[str], what: str) -> None:
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-5:])
        raise LocalCloudError(f"installing {what} failed:\n{tail}")


def ensure_venv(settings: Settings) -> Path:
    """The virtualenv MiniStack runs from; returns its python."""
    python = find_python(settings.runtime_version)
    stamp = stamp_for(MINISTACK_REQUIREMENTS, python)
    venv_python = settings.venv / "bin" / "python"
    if up_to_date(settings.venv, stamp):
        return venv_python
    print(
        f"localcloud: creating {settings.venv} with Python {settings.runtime_version} "
        f"({MINISTACK_REQUIREMENTS.name}); this takes a minute once",
        file=sys.stderr,
        flush=True,
    )
    shutil.rmtree(settings.venv, ignore_errors=True)
    subprocess.run([python, "-m", "venv", str(settings.venv)], check=True)
    run_pip(
        [
            str(venv_python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            str(MINISTACK_REQUIREMENTS),
        ],
        "the local cloud (MiniStack)",
    )
    (settings.venv / ".stamp").write_text(stamp)
    return venv_python


def ensure_runtime_sdk(settings: Settings) -> Path:
    """The folder holding the runtime's boto3, installed for the runtime's Python."""
    python = find_python(settings.runtime_version)
    stamp = stamp_for(RUNTIME_REQUIREMENTS, python)
    target = settings.runtime_sdk
    if up_to_date(target, stamp):
        return target
    print(f"localcloud: installing the Lambda runtime's SDK into {target}", file=sys.stderr, flush=True)
    shutil.rmtree(target, ignore_errors=True)
    run_pip(
        [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--target",
            str(target),
            "-r",
            str(RUNTIME_REQUIREMENTS),
        ],
        "the Lambda runtime's SDK",
    )
    (target / ".stamp").write_text(stamp)
    return target
