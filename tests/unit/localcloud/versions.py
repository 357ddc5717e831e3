"""A function revision for the runner's unit tests: only what a test varies is a parameter."""

from __future__ import annotations

from pathlib import Path

from localcloud.runner.catalog import FunctionVersion


def probe_version(code_dir: Path, handler: str = "app.sleeps", reserved: int | None = None) -> FunctionVersion:
    return FunctionVersion(
        name="probe",
        arn="arn:aws:lambda:us-east-1:000000000000:function:probe",
        revision="r1",
        handler=handler,
        timeout_seconds=3,
        memory_mb=128,
        role_arn="arn:aws:iam::000000000000:role/probe",
        code_dir=code_dir,
        reserved_concurrency=reserved,
    )
