"""Find the Python of the Lambda runtime (e.g. 3.12) on this machine.

pyenv's shims answer `python3.12` even when that version is not selected, and
then fail, so every candidate is run before it is trusted.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

from localcloud.errors import LocalCloudError


def reports_version(candidate: str, version: str) -> bool:
    try:
        result = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and result.stdout.strip() == version


def candidates(version: str) -> list[str]:
    found = []
    if override := os.environ.get("LOCALCLOUD_PYTHON"):
        found.append(override)
    if on_path := shutil.which(f"python{version}"):
        found.append(on_path)
    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    found.extend(sorted(glob.glob(f"{pyenv_root}/versions/{version}.*/bin/python{version}"), reverse=True))
    found.extend(f"{prefix}/bin/python{version}" for prefix in ("/usr/local", "/usr", "/opt/homebrew"))
    return found


def find_python(version: str) -> str:
    """Path of a working python<version>, or a clear error saying how to get one."""
    for candidate in candidates(version):
        if reports_version(candidate, version):
            return candidate
    raise LocalCloudError(
        f"Python {version}, the Lambda runtime's version, is missing: install it "
        f"(e.g. `pyenv install {version}`) or set LOCALCLOUD_PYTHON to its path"
    )
