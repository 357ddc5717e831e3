"""Where the local cloud lives and how it runs, from environment variables.

Everything it writes stays under one ignored folder of the repository, so
several checkouts (or ports) never share files in /tmp.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from localcloud.errors import LocalCloudError

REPO_ROOT = Path(__file__).resolve().parent.parent
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def env_flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in TRUE_WORDS:
        return True
    if raw.lower() in FALSE_WORDS:
        return False
    raise LocalCloudError(f"{name} must be true or false, not {raw!r}")


def env_port(name: str, default: int) -> int:
    raw = os.environ.get(name) or str(default)
    if not raw.isdigit() or not 1024 <= int(raw) <= 65535:
        raise LocalCloudError(f"{name} must be a port number between 1024 and 65535, not {raw!r}")
    return int(raw)


@dataclass(frozen=True)
class Settings:
    """One local cloud instance: its port, its switches and its files."""

    port: int = 4566
    auth: bool = True
    persist: bool = False
    runner: bool = True
    runtime_version: str = "3.12"
    home: Path = REPO_ROOT / ".localcloud"
    function_names: tuple[str, ...] = ()
    runner_max_workers: int | None = None

    @classmethod
    def from_env(cls) -> Settings:
        names = tuple(n for n in os.environ.get("LOCALCLOUD_FUNCTIONS", "").replace(",", " ").split() if n)
        return cls(
            port=env_port("LOCALCLOUD_PORT", 4566),
            auth=env_flag("LOCALCLOUD_AUTH", True),
            persist=env_flag("LOCALCLOUD_PERSIST", False),
            runner=env_flag("LOCALCLOUD_RUNNER", True),
            runtime_version=os.environ.get("LOCALCLOUD_RUNTIME_VERSION", "3.12"),
            home=Path(os.environ.get("LOCALCLOUD_HOME") or REPO_ROOT / ".localcloud").resolve(),
            function_names=names,
            runner_max_workers=int(os.environ["LOCALCLOUD_RUNNER_MAX_WORKERS"])
            if os.environ.get("LOCALCLOUD_RUNNER_MAX_WORKERS", "").isdigit()
            else None,
        )

    @property
    def endpoint(self) -> str:
        return f"http://localhost:{self.port}"

    @property
    def runner_port(self) -> int:
        """The runner listens next to the gateway."""
        return self.port + 1

    @property
    def venv(self) -> Path:
        return self.home / "venv"

    @property
    def runtime_sdk(self) -> Path:
        """The runtime's own folder (boto3, awslambdaric): the only libraries on a function's path besides its zip."""
        return self.home / f"runtime-sdk-{self.runtime_version}"

    @property
    def instance_dir(self) -> Path:
        """Files of the instance on this port: MiniStack's TMPDIR, so its PID file and log land here."""
        return self.home / f"port-{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.instance_dir / f"ministack-{self.port}.pid"

    @property
    def log_file(self) -> Path:
        return self.instance_dir / f"ministack-{self.port}.log"

    @property
    def state_dir(self) -> Path:
        return self.instance_dir / "state"

    @property
    def runner_pid_file(self) -> Path:
        return self.instance_dir / "runner.pid"

    @property
    def runner_log_file(self) -> Path:
        return self.instance_dir / "runner.log"
