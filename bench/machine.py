"""What the figures were measured on."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from datetime import date
from importlib import metadata

from bench.stack import REPO_ROOT


def command_version(args: list[str], pattern: str) -> str:
    try:
        output = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False).stdout
    except OSError:
        return "absent"
    found = re.search(pattern, output)
    return found.group(1) if found else "unknown"


def describe() -> dict[str, str | int]:
    venv_python = REPO_ROOT / ".localcloud" / "venv" / "bin" / "python"
    lock = (REPO_ROOT / ".terraform.lock.hcl").read_text()
    return {
        "date": date.today().isoformat(),
        "cores": os.cpu_count() or 0,
        "platform": platform.platform(),
        "python_tools": platform.python_version(),
        "python_local_cloud": command_version([str(venv_python), "--version"], r"Python (\S+)"),
        "ministack": command_version([str(venv_python), "-m", "pip", "show", "ministack"], r"Version: (\S+)"),
        "terraform": command_version(["terraform", "version"], r"Terraform v(\S+)"),
        "aws_provider": (re.search(r'version\s*=\s*"([^"]+)"', lock) or re.search("(.*)", "unknown")).group(1),
        "boto3_client": metadata.version("boto3"),
    }
