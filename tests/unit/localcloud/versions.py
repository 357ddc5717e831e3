"""A function revision and the runtime's folder for the runner's unit tests: only what a test varies is a parameter."""

from __future__ import annotations

from pathlib import Path

from localcloud.environments import ensure_runtime_sdk
from localcloud.runner.catalog import FunctionVersion
from localcloud.settings import Settings


def probe_version(
    code_dir: Path, handler: str = "app.sleeps", reserved: int | None = None, log_format: str = "Text"
) -> FunctionVersion:
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
        log_format=log_format,
    )


def runtime_sdk() -> Path:
    """The runtime's own folder (boto3, awslambdaric), built once per pin set like the local cloud's."""
    return ensure_runtime_sdk(Settings.from_env())
