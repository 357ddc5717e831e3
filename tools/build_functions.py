"""Zip every function folder into build/<name>.zip, byte for byte reproducibly.

Terraform's source_code_hash is the zip's SHA-256, so an unchanged function
must give an identical zip: entries are sorted, timestamps and modes fixed, and
caches left out. A function with a requirements.txt gets its dependencies
vendored for the Lambda platform; without one it gets only the runtime's boto3.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

FIXED_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
# Unix mode in the high 16 bits of external_attr, with the regular-file type
# bit (0o100000): without it, unzip and some extractors see an unknown type.
FILE_MODE = 0o100644 << 16
SKIPPED_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache"}
SKIPPED_SUFFIXES = {".pyc", ".pyo"}
SKIPPED_FILES = {"requirements.txt", ".DS_Store"}


def package_files(root: Path) -> list[tuple[str, Path]]:
    """(archive name, path) for every file that belongs in the zip, sorted."""
    found = []
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = [d for d in subdirs if d not in SKIPPED_DIRS and not d.endswith(".egg-info")]
        for name in files:
            path = Path(directory) / name
            if (name in SKIPPED_FILES and path.parent == root) or path.suffix in SKIPPED_SUFFIXES:
                continue
            found.append((path.relative_to(root).as_posix(), path))
    return sorted(found)


def function_folders(root: Path) -> list[Path]:
    """The folders that each become a function's zip (make watch serves the same ones)."""
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def vendored_dependencies(function_dir: Path, cache_dir: Path, python_version: str) -> Path | None:
    """Install requirements.txt for the Lambda platform once per content hash."""
    requirements = function_dir / "requirements.txt"
    if not requirements.exists():
        return None
    digest = hashlib.sha256(requirements.read_bytes() + python_version.encode()).hexdigest()[:16]
    target = cache_dir / f"{function_dir.name}-{digest}"
    if not target.exists():
        staging = target.with_name(target.name + ".partial")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-compile",
                "--target",
                str(staging),
                "--platform",
                "manylinux2014_x86_64",
                "--implementation",
                "cp",
                "--python-version",
                python_version,
                "--only-binary=:all:",
                "-r",
                str(requirements),
            ],
            check=True,
        )
        staging.rename(target)
    return target


def write_zip(destination: Path, sources: list[tuple[str, Path]]) -> None:
    """Write the zip atomically, so a failed build never leaves half a package; each build writes its own partial
    file, so builds running at once (make test deploys and destroys its stacks side by side) never collide."""
    partial = destination.with_suffix(f".zip.{os.getpid()}.partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, path in sources:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIMESTAMP)
            info.external_attr = FILE_MODE
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    partial.replace(destination)


def build_function(function_dir: Path, build_dir: Path, python_version: str) -> Path:
    sources = package_files(function_dir)
    if not any(name.endswith(".py") for name, _ in sources):
        raise SystemExit(f"error: {function_dir} holds no Python file to package")
    vendored = vendored_dependencies(function_dir, build_dir / ".deps", python_version)
    if vendored is not None:
        sources = sorted(sources + package_files(vendored))
    destination = build_dir / f"{function_dir.name}.zip"
    write_zip(destination, sources)
    return destination


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=Path, default=Path("functions"), help="folder of function folders")
    parser.add_argument("--build", type=Path, default=Path("build"), help="folder the zips go to")
    parser.add_argument("--python-version", default="3.12", help="Python version of the Lambda runtime")
    args = parser.parse_args(argv)
    function_dirs = function_folders(args.functions)
    if not function_dirs:
        print(f"error: no function folders in {args.functions}", file=sys.stderr)
        return 1
    args.build.mkdir(parents=True, exist_ok=True)
    for function_dir in function_dirs:
        destination = build_function(function_dir, args.build, args.python_version)
        digest = hashlib.sha256(destination.read_bytes()).hexdigest()[:12]
        print(f"built {destination} ({destination.stat().st_size} bytes, sha256 {digest})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
