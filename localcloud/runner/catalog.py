"""What the runner knows of each function: configuration, code and role credentials.

Read from the local cloud's own Lambda API, so the Terraform stays the single
source: a new deployment changes the RevisionId and the next invocation gets
fresh workers, as on AWS after an update.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import threading
import time
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3

from localcloud.runner.debugger import Debugger

CONFIG_TTL_SECONDS = 1.0
# How the local cloud's Terraform routes a function to the runner (modules/function local_runner_url):
# MiniStack posts its invocations to this URL. AWS has no such variable, so the handler never sees it.
PROXY_URL_VARIABLE = "MINISTACK_LAMBDA_PROXY_URL"
# Credentials handed to an execution environment must outlive its invocation by this much.
CREDENTIAL_MARGIN = timedelta(minutes=5)


@dataclass(frozen=True)
class FunctionVersion:
    """One deployed revision of a function: what a worker needs to start."""

    name: str
    arn: str
    revision: str
    handler: str
    timeout_seconds: int
    memory_mb: int
    role_arn: str
    code_dir: Path
    environment: dict[str, str] = field(default_factory=dict)
    reserved_concurrency: int | None = None
    log_format: str = "Text"
    application_log_level: str | None = None
    # Set while `make debug` runs this function under debugpy (localcloud/runner/devloop.py).
    debugger: Debugger | None = None


class KeyedLocks:
    """One lock per key, so a slow refresh of one function (or role) never holds up the others."""

    def __init__(self) -> None:
        self.guard = threading.Lock()
        self.locks: dict[str, threading.Lock] = {}

    def of(self, key: str) -> threading.Lock:
        with self.guard:
            return self.locks.setdefault(key, threading.Lock())


class Catalog:
    def __init__(
        self,
        endpoint: str,
        region: str,
        code_root: Path,
        overlay: Callable[[FunctionVersion], FunctionVersion] = lambda version: version,
    ) -> None:
        session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=region)
        self.endpoint = endpoint
        self.region = region
        self.code_root = code_root
        self.lambda_client: Any = session.client("lambda", endpoint_url=endpoint)
        self.sts: Any = session.client("sts", endpoint_url=endpoint)
        self.function_locks = KeyedLocks()
        self.role_locks = KeyedLocks()
        self.versions: dict[str, tuple[float, FunctionVersion]] = {}
        self.credentials: dict[str, dict[str, Any]] = {}
        self.overlay = overlay

    def function(self, name: str) -> FunctionVersion:
        """The version to run: the deployed one, or what `make watch`/`make debug` serve instead (the overlay)."""
        return self.overlay(self.deployed(name))

    def deployed(self, name: str) -> FunctionVersion:
        """The function's current revision, re-read at most once a second (one reader at a time per function)."""
        with self.function_locks.of(name):
            cached = self.versions.get(name)
            if cached and time.monotonic() - cached[0] < CONFIG_TTL_SECONDS:
                return cached[1]
            response = self.lambda_client.get_function(FunctionName=name)
            config = response["Configuration"]
            logging = config.get("LoggingConfig") or {}
            version = FunctionVersion(
                name=name,
                arn=config["FunctionArn"],
                revision=config["RevisionId"],
                handler=config["Handler"],
                timeout_seconds=int(config.get("Timeout", 3)),
                memory_mb=int(config.get("MemorySize", 128)),
                role_arn=config["Role"],
                code_dir=self.extract(config["CodeSha256"], response["Code"]["Location"]),
                environment=dict((config.get("Environment") or {}).get("Variables") or {}),
                reserved_concurrency=(response.get("Concurrency") or {}).get("ReservedConcurrentExecutions"),
                log_format=logging.get("LogFormat") or "Text",
                application_log_level=logging.get("ApplicationLogLevel"),
            )
            self.versions[name] = (time.monotonic(), version)
            return version

    def extract(self, code_sha: str, location: str) -> Path:
        """Unpack the zip once per content hash, read-only like /var/task.

        Two functions with the same code may unpack it at once: each into a
        staging folder of its own, and the first rename wins.
        """
        target = self.code_root / code_sha.replace("/", "_").replace("+", "-").rstrip("=")
        if target.exists():
            return target
        with urllib.request.urlopen(location, timeout=30) as response:
            archive = zipfile.ZipFile(io.BytesIO(response.read()))
        staging = Path(tempfile.mkdtemp(prefix=f"{target.name}.partial-", dir=self.code_root))
        archive.extractall(staging)
        for path in [staging, *staging.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o444)
        try:
            staging.rename(target)
        except OSError:
            if not target.is_dir():
                raise
            shutil.rmtree(staging)
        return target

    def role_credentials(self, version: FunctionVersion) -> dict[str, Any]:
        """Temporary credentials of the execution role, as Lambda gives a function.

        Renewed once they would expire before an invocation starting now could
        end (its timeout, plus a margin).
        """
        with self.role_locks.of(version.role_arn):
            cached = self.credentials.get(version.role_arn)
            needed_until = datetime.now(UTC) + timedelta(seconds=version.timeout_seconds) + CREDENTIAL_MARGIN
            if cached and cached["Expiration"] > needed_until:
                return cached
            credentials = self.sts.assume_role(RoleArn=version.role_arn, RoleSessionName=version.name[:64])[
                "Credentials"
            ]
            self.credentials[version.role_arn] = credentials
            return credentials
