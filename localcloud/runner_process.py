"""Start and stop our Lambda runner, and tell MiniStack where it listens.

The runner is started before MiniStack, because MiniStack reads the proxy
addresses of functions created outside Terraform (MINISTACK_LAMBDA_PROXY_<function>)
from its environment at start.
"""

from __future__ import annotations

import contextlib
import http.client
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator

from localcloud.errors import LocalCloudError
from localcloud.interpreter import find_python
from localcloud.processes import descendants, port_in_use, read_pid, terminate, wait_until
from localcloud.settings import REPO_ROOT, Settings

START_TIMEOUT_SECONDS = 15
# What the runner's command line holds.
RUNNER_COMMAND = "-m localcloud.runner"


def runner_pid(settings: Settings) -> int | None:
    """The PID of the Lambda runner we started for this port, if it still runs."""
    return read_pid(settings.runner_pid_file, RUNNER_COMMAND)


def answering(settings: Settings) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{settings.runner_port}/", timeout=1):
            return True
    except (urllib.error.URLError, OSError, http.client.HTTPException):
        return False


@contextlib.contextmanager
def sigint_held() -> Iterator[None]:
    """Delay SIGINT for the duration; a Ctrl-C meanwhile is delivered on the way out."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def release_sigint() -> None:
    """In the child before exec: a signal mask is inherited, and the runner must not start with SIGINT held."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def proxy_url(settings: Settings, name: str) -> str:
    """Where MiniStack's proxy mode posts the invocations of function `name`."""
    return f"http://127.0.0.1:{settings.runner_port}/functions/{name}"


def proxy_urls(settings: Settings) -> dict[str, str]:
    return {name: proxy_url(settings, name) for name in settings.function_names}


def start(settings: Settings) -> dict[str, str]:
    """Start the runner if it is not running; returns the proxy address of each function named in advance.

    Functions deployed by Terraform name the runner in their own environment
    (modules/function local_runner_url), so no name is needed; only functions
    created otherwise (LOCALCLOUD_FUNCTIONS) are routed by MiniStack's environment.
    """
    if runner_pid(settings) is None:
        if port_in_use(settings.runner_port):
            raise LocalCloudError(
                f"port {settings.runner_port} (the Lambda runner's, gateway port + 1) is in use "
                f"by another program; choose another LOCALCLOUD_PORT"
            )
        settings.instance_dir.mkdir(parents=True, exist_ok=True)
        # Ctrl-C between the spawn and the PID file would leave a runner nobody can stop by PID:
        # hold SIGINT until the file names it (the caller's clean-up then stops it).
        with settings.runner_log_file.open("a") as log, sigint_held():
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "localcloud.runner",
                    "--port",
                    str(settings.runner_port),
                    "--endpoint",
                    settings.endpoint,
                    "--python",
                    find_python(settings.runtime_version),
                    "--runtime",
                    f"python{settings.runtime_version}",
                    "--runtime-sdk",
                    str(settings.runtime_sdk),
                    "--code-root",
                    str(settings.instance_dir / "code"),
                ],
                cwd=REPO_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=release_sigint,
            )
            settings.runner_pid_file.write_text(str(process.pid))
        if (
            not wait_until(lambda: answering(settings) or process.poll() is not None, START_TIMEOUT_SECONDS)
            or process.poll() is not None
        ):
            stop(settings)
            raise LocalCloudError(f"the Lambda runner did not start (log: {settings.runner_log_file})")
    return proxy_urls(settings)


def stop(settings: Settings) -> bool:
    pid = runner_pid(settings)
    settings.runner_pid_file.unlink(missing_ok=True)
    if pid is None:
        return False
    terminate([pid, *descendants(pid)])
    return True
