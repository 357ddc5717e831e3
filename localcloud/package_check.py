"""Import each function zip as the Lambda runtime would, before anything is deployed.

The interpreter is the runtime's version in isolated mode with no site
packages: only the zip, the standard library and the runtime's own folder
(boto3, awslambdaric) are on the path. A dependency missing from a zip fails here as it would on AWS, even
though the local cloud's own interpreter might have found it.
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

from localcloud.environments import ensure_runtime_sdk
from localcloud.errors import LocalCloudError
from localcloud.interpreter import find_python
from localcloud.settings import Settings

IMPORT_PROBE = """
import importlib, sys
zip_path, sdk, handler = sys.argv[1:4]
sys.path.insert(0, zip_path)
sys.path.append(sdk)
module_name, _, function_name = handler.rpartition(".")
module = importlib.import_module(module_name)
if not callable(getattr(module, function_name, None)):
    sys.exit(f"handler {handler!r} is not a function of module {module_name!r}")
"""


def check_zip(python: str, sdk: Path, zip_path: Path, handler: str) -> str | None:
    """None when the handler imports; otherwise the runtime's complaint, one line."""
    result = subprocess.run(
        [python, "-I", "-S", "-B", "-c", IMPORT_PROBE, str(zip_path), str(sdk), handler],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )
    if result.returncode == 0:
        return None
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    return lines[-1] if lines else f"exit status {result.returncode}"


def run(settings: Settings, args: argparse.Namespace) -> int:
    python = find_python(settings.runtime_version)
    sdk = ensure_runtime_sdk(settings)
    if not args.zips:
        raise LocalCloudError("no zips to check; run make build first")
    failures = 0
    for zip_path in args.zips:
        if not zip_path.exists():
            raise LocalCloudError(f"{zip_path} does not exist; run make build first")
        problem = check_zip(python, sdk, zip_path, args.handler)
        print(
            f"{'ok  ' if problem is None else 'FAIL'} {zip_path} ({args.handler}, Python {settings.runtime_version}"
            f"{'' if problem is None else ': ' + problem})"
        )
        failures += problem is not None
    return 1 if failures else 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("package-check", help="import each function zip in an isolated runtime interpreter")
    parser.add_argument("zips", nargs="*", type=Path)
    parser.add_argument("--handler", default="app.handler")
    parser.set_defaults(run=run)
