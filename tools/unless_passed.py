"""python -m tools.unless_passed NAME --inputs GLOB... -- COMMAND: run a check unless it passed on these very inputs.

The slow static checks (terraform test, checkov, parliament, validate) depend
on a known set of files and tool versions. make test's second run in a clone
should not pay for them again when none of those changed, and a change to any
one of them, a file added or deleted included, must run the check again. So
the check's inputs are hashed (paths and contents, the command line, any
--salt such as a tool's version); a pass records that digest, and a later
call with the same digest prints one line instead of running. Contents, not
modification times: a checkout or a touch that changes nothing is not a
change, a deleted file is. FRESH=1 (in the environment) always runs.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# Never inputs: tool state, virtualenvs, build output, the local cloud's files.
IGNORED_PARTS = {".git", ".terraform", "build", ".localcloud", "terraform.tfstate.d", "__pycache__"}


def matching_files(patterns: Iterable[str], root: Path = REPO_ROOT) -> list[Path]:
    """The files the patterns name, sorted: fnmatch patterns on repository-relative paths ("*" crosses
    folders, so "*.tf" is every .tf file), ignored folders and virtualenvs left out; a pattern without
    wildcards names one file, wherever it is (a zip in build/)."""
    found = {root / p for p in patterns if not any(c in p for c in "*?[") and (root / p).is_file()}
    wildcards = [p for p in patterns if any(c in p for c in "*?[")]
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [d for d in subfolders if d not in IGNORED_PARTS and not d.startswith(".venv")]
        relative = Path(folder).relative_to(root)
        for name in files:
            if any(fnmatch.fnmatchcase((relative / name).as_posix(), p) for p in wildcards):
                found.add(Path(folder) / name)
    return sorted(found)


def digest(files: Sequence[Path], command: Sequence[str], salt: Sequence[str], root: Path = REPO_ROOT) -> str:
    """One hash over the command, the salt and every file's path and contents."""
    sha = hashlib.sha256()
    for part in (*command, "\0", *salt, "\0"):
        sha.update(part.encode() + b"\0")
    for path in files:
        sha.update(str(path.relative_to(root)).encode() + b"\0")
        sha.update(hashlib.sha256(path.read_bytes()).digest())
    return sha.hexdigest()


def run_unless_passed(
    name: str, patterns: Sequence[str], salt: Sequence[str], command: Sequence[str], root: Path = REPO_ROOT
) -> int:
    """Run command in root unless it passed on the same digest; a pass records the digest, anything else clears it."""
    stamp = root / "build" / "stamps" / f"{name}.sha256"
    current = digest(matching_files(patterns, root), command, salt, root)
    fresh = os.environ.get("FRESH", "") not in ("", "0", "no")
    if not fresh and stamp.is_file() and stamp.read_text().strip() == current:
        print(f"{name}: passed on these inputs before; not run again (FRESH=1 runs it)", flush=True)
        return 0
    stamp.unlink(missing_ok=True)
    try:
        returncode = subprocess.run(command, cwd=root, check=False).returncode
    except FileNotFoundError:
        print(f"error: {name}: {command[0]} is not installed", file=sys.stderr)
        return 127
    if returncode == 0:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(current + "\n")
    return returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.unless_passed", usage="%(prog)s NAME --inputs PATTERN... [--salt TEXT] -- COMMAND..."
    )
    parser.add_argument("name", help="the check's name: its stamp is build/stamps/<name>.sha256")
    parser.add_argument("--inputs", nargs="+", required=True, help="fnmatch patterns of repository-relative paths")
    parser.add_argument("--salt", action="append", default=[], help="more text the result depends on (a version)")
    argv = sys.argv[1:] if argv is None else argv
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        parser.error("give the check's command after --")
    split = argv.index("--")
    args = parser.parse_args(argv[:split])
    return run_unless_passed(args.name, args.inputs, args.salt, argv[split + 1 :])


if __name__ == "__main__":
    sys.exit(main())
