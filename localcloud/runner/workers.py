"""Warm worker processes: one per concurrent invocation, reused while idle.

A worker serves one function revision; it is discarded when the function
changes, when its init or an invocation times out, when it crashes, and after
it idles too long.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from localcloud.runner.catalog import FunctionVersion
from localcloud.runner.debugger import debug_command

BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
IDLE_SECONDS = 300
# Lambda gives a function's init phase at most 10 s; a worker not ready by then is ended.
INIT_TIMEOUT_SECONDS = 10.0
# Past the soft cap, how long an invocation waits for a warm worker before starting another.
SPILL_WAIT_SECONDS = 0.25
HARD_CAP = 64

LogSink = Callable[[str, str, str], None]  # (function, stream, line)


@dataclass
class Outcome:
    """What an invocation produced: a JSON payload, an AWS-shaped error, or a timeout."""

    payload: str | None = None
    error: dict[str, Any] | None = None
    timed_out: bool = False


def stream_name() -> str:
    today = datetime.now(UTC)
    return f"{today:%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"


def runtime_environment(
    version: FunctionVersion,
    credentials: dict[str, Any],
    log_stream: str,
    region: str,
    endpoint: str,
    runtime_sdk: Path,
    runtime: str,
) -> dict[str, str]:
    """The variables AWS's runtime sets, then the function's own, then the local endpoint."""
    env = {
        "AWS_LAMBDA_FUNCTION_NAME": version.name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(version.memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{version.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime}",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129:2000",
        "LAMBDA_TASK_ROOT": str(version.code_dir),
        "LAMBDA_RUNTIME_DIR": str(runtime_sdk),
        "_HANDLER": version.handler,
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        "PATH": "/usr/local/bin:/usr/bin/:/bin",
        "PYTHONUTF8": "1",
    }
    env.update(version.environment)
    # The one addition AWS does not make: the SDK must reach the local cloud.
    env["AWS_ENDPOINT_URL"] = endpoint
    return env


class Worker:
    def __init__(
        self,
        version: FunctionVersion,
        env: dict[str, str],
        python: str,
        sink: LogSink,
        init_timeout: float = INIT_TIMEOUT_SECONDS,
    ) -> None:
        self.version = version
        self.log_stream = env["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.sink = sink
        self.frames: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.last_used = time.monotonic()
        command = [python, "-I", "-S", "-B", str(BOOTSTRAP)]
        if version.debugger is not None:
            # Init waits for the IDE to attach, as long as the (lifted) timeout allows.
            command, init_timeout = debug_command(command, version.debugger), version.timeout_seconds
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=str(version.code_dir),
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        threading.Thread(target=self.read_frames, daemon=True).start()
        threading.Thread(target=self.read_stderr, daemon=True).start()
        self.init_timed_out = False
        self.init_ms, self.init_error = self.await_init(init_timeout)
        self.reported_init = False

    def await_init(self, init_timeout: float) -> tuple[float, dict[str, Any] | None]:
        """The init phase's duration and error, if any.

        A worker not ready within init_timeout (a module hanging on import, an
        interpreter that never starts) is killed and marked init_timed_out, so
        it holds neither the invocation nor its pool slot for longer.
        """
        try:
            ready = self.frames.get(timeout=init_timeout)
        except queue.Empty:
            self.kill()
            self.init_timed_out = True
            return init_timeout * 1000, None
        if ready is None:
            return 0.0, {"errorMessage": "Runtime exited before init completed", "errorType": "Runtime.ExitError"}
        return float(ready["init_ms"]), ready.get("error")

    def read_frames(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            frame = json.loads(line)
            if frame["t"] == "log":
                self.sink(self.version.name, self.log_stream, frame["m"])
            else:
                self.frames.put(frame)
        self.frames.put(None)

    def read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.sink(self.version.name, self.log_stream, line.rstrip("\n"))

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def invoke(self, request: dict[str, Any], deadline: float) -> Outcome:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        try:
            frame = self.frames.get(timeout=max(deadline - time.time(), 0))
        except queue.Empty:
            self.kill()
            return Outcome(timed_out=True)
        self.last_used = time.monotonic()
        if frame is None:
            return Outcome(
                error={
                    "errorMessage": f"RequestId: {request['request_id']} Error: Runtime exited "
                    f"with error: exit status {self.process.wait()}",
                    "errorType": "Runtime.ExitError",
                }
            )
        if frame["t"] == "ok":
            return Outcome(payload=frame["payload"])
        return Outcome(error=frame["error"])

    def max_memory_mb(self) -> int:
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
        except OSError:
            pass
        return 0

    def kill(self) -> None:
        if self.alive:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()


class Pool:
    """Idle workers per function revision; a new one when all are busy.

    AWS scales out with a new execution environment per concurrent request, and
    its cold starts do not count against the timeout. Here they do (the proxy's
    deadline starts at the request), and ten cold starts at once on a laptop's
    two cores take seconds each. So past a soft cap (by default twice the
    cores) an invocation first waits briefly for a warm worker, which short
    invocations free within milliseconds; only when none frees up (the busy
    ones run long) does it start another, up to a hard cap. Reserved
    concurrency, when set, is a hard cap of its own.
    """

    def __init__(
        self,
        python: str,
        runtime: str,
        runtime_sdk: Path,
        region: str,
        endpoint: str,
        sink: LogSink,
        max_workers: int,
        init_timeout: float = INIT_TIMEOUT_SECONDS,
    ) -> None:
        self.python = python
        self.runtime = runtime
        self.runtime_sdk = runtime_sdk
        self.region = region
        self.endpoint = endpoint
        self.sink = sink
        self.max_workers = max_workers
        self.init_timeout = init_timeout
        self.lock = threading.Condition()
        self.idle: dict[str, list[Worker]] = {}
        self.busy: dict[str, int] = {}
        threading.Thread(target=self.reap_idle, daemon=True).start()

    def acquire(self, version: FunctionVersion, credentials: dict[str, Any], deadline: float) -> Worker | None:
        """An idle worker of this revision, or a new one; None if no slot frees up before the deadline."""
        soft_cap = version.reserved_concurrency or self.max_workers
        hard_cap = version.reserved_concurrency or HARD_CAP
        spill_at = time.time() + SPILL_WAIT_SECONDS
        with self.lock:
            self.discard_stale(version)
            while True:
                idle = [w for w in self.idle.get(version.name, []) if w.alive]
                if idle:
                    worker = idle.pop()
                    self.idle[version.name] = idle
                    self.busy[version.name] = self.busy.get(version.name, 0) + 1
                    return worker
                busy = self.busy.get(version.name, 0)
                if busy < soft_cap or (busy < hard_cap and time.time() >= spill_at):
                    self.busy[version.name] = busy + 1
                    break
                now = time.time()
                if now >= deadline:
                    return None
                wake_at = min(deadline, spill_at) if busy < hard_cap else deadline
                self.lock.wait(timeout=wake_at - now)
        try:
            env = runtime_environment(
                version, credentials, stream_name(), self.region, self.endpoint, self.runtime_sdk, self.runtime
            )
            return Worker(version, env, self.python, self.sink, self.init_timeout)
        except BaseException:
            self.release_slot(version.name)
            raise

    def discard_stale(self, version: FunctionVersion) -> None:
        """Workers of an older revision never serve again."""
        keep = []
        for worker in self.idle.get(version.name, []):
            if worker.version.revision == version.revision and worker.alive:
                keep.append(worker)
            else:
                worker.kill()
        self.idle[version.name] = keep

    def release(self, worker: Worker) -> None:
        with self.lock:
            if worker.alive and worker.init_error is None:
                self.idle.setdefault(worker.version.name, []).append(worker)
            self.busy[worker.version.name] -= 1
            self.lock.notify_all()

    def release_slot(self, name: str) -> None:
        with self.lock:
            self.busy[name] -= 1
            self.lock.notify_all()

    def reap_idle(self) -> None:
        while True:
            time.sleep(10)
            with self.lock:
                for name, workers in self.idle.items():
                    stale = [w for w in workers if time.monotonic() - w.last_used > IDLE_SECONDS]
                    for worker in stale:
                        worker.kill()
                    self.idle[name] = [w for w in workers if w not in stale]

    def shutdown(self) -> None:
        with self.lock:
            for workers in self.idle.values():
                for worker in workers:
                    worker.kill()
            self.idle.clear()
