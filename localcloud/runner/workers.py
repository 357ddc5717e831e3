"""Warm worker processes: one per concurrent invocation, reused while idle.

Each worker is one execution environment: the runtime's Python running AWS's
runtime interface client (awslambdaric), as AWS's python3.12 runtime does,
against a Runtime API of its own (runtime_api.py). A worker serves one
function revision; it is discarded when the function changes, when its init
or an invocation times out, when it crashes, after it idles too long, and
before its role credentials expire.
"""

from __future__ import annotations

import json
import os
import queue
import selectors
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

from localcloud.runner.catalog import CREDENTIAL_MARGIN, PROXY_URL_VARIABLE, FunctionVersion
from localcloud.runner.debugger import Debugger, debug_command
from localcloud.runner.runtime_api import Event, Invocation, RuntimeApi

IDLE_SECONDS = 300
# Lambda gives a function's init phase at most 10 s; a worker not ready by then is ended.
INIT_TIMEOUT_SECONDS = 10.0
# Past the soft cap, how long an invocation waits for a warm worker before starting another.
SPILL_WAIT_SECONDS = 0.25
HARD_CAP = 64
LAUNCHER = Path(__file__).with_name("launcher.py")
# The variables an environment's process starts with, before it knows its function.
BLANK_ENVIRONMENT = {"TZ": ":UTC", "LANG": "en_US.UTF-8", "PATH": "/usr/local/bin:/usr/bin/:/bin", "PYTHONUTF8": "1"}

LogSink = Callable[[str, str, str], None]  # (function, stream, line)


@dataclass
class Outcome:
    """What an invocation produced: a payload, AWS's error document, or a timeout."""

    payload: bytes | None = None
    error: dict[str, Any] | None = None
    timed_out: bool = False


def stream_name() -> str:
    today = datetime.now(UTC)
    return f"{today:%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"


def worker_command(python: str) -> list[str]:
    """An execution environment's command line: the runtime's Python, isolated, running the launcher."""
    return [python, "-I", "-S", "-B", str(LAUNCHER)]


def start_process(python: str, runtime_sdk: Path, debugger: Debugger | None = None) -> subprocess.Popen[bytes]:
    """An environment's process, not yet told its function (see launcher.py); stdout and stderr share one pipe.

    Under `make debug` it runs under debugpy, which waits for the IDE before the launcher starts.
    """
    command = worker_command(python)
    return subprocess.Popen(
        command if debugger is None else debug_command(command, debugger),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**BLANK_ENVIRONMENT, "LAMBDA_RUNTIME_DIR": str(runtime_sdk)},
    )


def runtime_environment(
    version: FunctionVersion,
    credentials: dict[str, Any],
    log_stream: str,
    region: str,
    endpoint: str,
    runtime_sdk: Path,
    runtime: str,
) -> dict[str, str]:
    """The variables AWS's runtime sets, then the function's own, then the local endpoint.

    AWS_LAMBDA_RUNTIME_API is added by the Worker, which owns the Runtime API. The
    function's MINISTACK_LAMBDA_PROXY_URL only routes it to us: the handler sees
    what AWS would give it, without it.
    """
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
        **BLANK_ENVIRONMENT,
    }
    # Lambda's advanced logging controls: the runtime client formats and filters by these.
    if version.log_format == "JSON":
        env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
        env["AWS_LAMBDA_LOG_LEVEL"] = version.application_log_level or "INFO"
    env.update({name: value for name, value in version.environment.items() if name != PROXY_URL_VARIABLE})
    # The one addition AWS does not make: the SDK must reach the local cloud.
    env["AWS_ENDPOINT_URL"] = endpoint
    return env


def credentials_expiry(credentials: dict[str, Any]) -> datetime:
    """When the credentials stop working; an unknown expiry counts as never."""
    expiration = credentials.get("Expiration")
    return expiration if isinstance(expiration, datetime) else datetime.max.replace(tzinfo=UTC)


class OutputPump:
    """The worker's stdout and stderr (one pipe), line by line to the log sink.

    A background thread forwards lines as they come; drain() forwards
    everything written so far before the runner writes END/REPORT, so a
    handler's last lines always precede them. Bytes are decoded leniently and a
    last line without its newline is kept, so a worker killed mid-line (or
    mid-character) loses nothing and breaks nothing.
    """

    def __init__(self, fd: int, emit: Callable[[str], None], on_close: Callable[[], None]) -> None:
        os.set_blocking(fd, False)
        self.fd = fd
        self.emit = emit
        self.on_close = on_close
        self.lock = threading.Lock()
        self.partial = b""
        self.closed = False
        threading.Thread(target=self.run, daemon=True).start()

    def run(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self.fd, selectors.EVENT_READ)
            while not self.closed:
                selector.select()
                self.read_available()
        self.on_close()

    def read_available(self) -> None:
        with self.lock:
            while not self.closed:
                try:
                    chunk = os.read(self.fd, 65536)
                except BlockingIOError:
                    return
                if not chunk:
                    self.closed = True
                    self.flush_partial()
                    return
                *lines, self.partial = (self.partial + chunk).split(b"\n")
                for line in lines:
                    self.emit(line.decode("utf-8", "replace"))

    def flush_partial(self) -> None:
        if self.partial:
            self.emit(self.partial.decode("utf-8", "replace"))
            self.partial = b""

    def drain(self) -> None:
        """Forward all output so far, including a last line the handler left unterminated."""
        self.read_available()
        with self.lock:
            self.flush_partial()


class Worker:
    def __init__(
        self,
        version: FunctionVersion,
        env: dict[str, str],
        python: str,
        sink: LogSink,
        init_timeout: float = INIT_TIMEOUT_SECONDS,
        credentials_expire: datetime | None = None,
        process: subprocess.Popen[bytes] | None = None,
    ) -> None:
        """Become an execution environment of `version`: in `process` if given (started ahead), else a new one."""
        self.version = version
        self.log_stream = env["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.credentials_expire = credentials_expire or datetime.max.replace(tzinfo=UTC)
        self.last_used = time.monotonic()
        self.api = RuntimeApi()
        started = time.perf_counter()
        if version.debugger is not None:
            # Init waits for the IDE to attach, as long as the (lifted) timeout allows.
            init_timeout = version.timeout_seconds
        runtime_dir = Path(env["LAMBDA_RUNTIME_DIR"])
        self.process = process or start_process(python, runtime_dir, version.debugger)
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        try:
            self.process.stdin.write(json.dumps({**env, "AWS_LAMBDA_RUNTIME_API": self.api.address}).encode() + b"\n")
            self.process.stdin.close()  # the handler's stdin is empty, as on AWS
        except BrokenPipeError:
            pass  # it died before its start; the pump sees it exit
        self.output = OutputPump(
            self.process.stdout.fileno(),
            lambda line: sink(version.name, self.log_stream, line),
            lambda: self.api.events.put(None),
        )
        self.init_timed_out = False
        self.init_error = self.await_init(init_timeout)
        self.init_ms = (time.perf_counter() - started) * 1000
        if self.init_timed_out:
            self.init_ms = init_timeout * 1000
        self.reported_init = False

    def await_init(self, init_timeout: float) -> dict[str, Any] | None:
        """The init phase's error, if any: it ends when the runtime first asks for an invocation.

        A worker not ready within init_timeout (a module hanging on import, an
        interpreter that never starts) is killed and marked init_timed_out, so
        it holds neither the invocation nor its pool slot for longer.
        """
        try:
            event = self.api.events.get(timeout=init_timeout)
        except queue.Empty:
            self.kill()
            self.init_timed_out = True
            return None
        if event is None:
            return {
                "errorMessage": f"Runtime exited with error: exit status {self.process.wait()}",
                "errorType": "Runtime.ExitError",
            }
        if event.kind == "init_error":
            self.kill()
            return json.loads(event.body)
        return None

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def invoke(self, invocation: Invocation, deadline: float) -> Outcome:
        self.api.hand(invocation)
        try:
            event = self.api.events.get(timeout=max(deadline - time.time(), 0))
        except queue.Empty:
            self.kill()
            return Outcome(timed_out=True)
        finally:
            self.last_used = time.monotonic()
        self.output.drain()
        return self.outcome(event, invocation.request_id)

    def outcome(self, event: Event | None, request_id: str) -> Outcome:
        if event is None:
            return Outcome(
                error={
                    "errorMessage": f"RequestId: {request_id} Error: Runtime exited "
                    f"with error: exit status {self.process.wait()}",
                    "errorType": "Runtime.ExitError",
                }
            )
        if event.kind == "response":
            return Outcome(payload=event.body)
        return Outcome(error=json.loads(event.body))

    def max_memory_mb(self) -> int:
        """The worker's peak resident memory (VmHWM), read as bytes: REPORT needs it on every invocation."""
        try:
            with open(f"/proc/{self.process.pid}/status", "rb") as status:
                text = status.read()
        except OSError:
            return 0
        start = text.find(b"VmHWM:")
        return int(text[start + 6 : text.index(b"kB", start)]) // 1024 if start >= 0 else 0

    def kill(self) -> None:
        if self.alive:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.api.close()


class Pool:
    """Idle workers per function revision; a new one when all are busy.

    AWS scales out with a new execution environment per concurrent request, and
    its cold starts do not count against the timeout. Here they do (the proxy's
    deadline starts at the request), and ten cold starts at once on a laptop's
    two cores take seconds each. So past a soft cap (by default twice the
    cores) an invocation first waits briefly for a warm worker, which short
    invocations free within milliseconds; only when none frees up (the busy
    ones run long) and none is starting does it start another, up to a hard
    cap. Reserved concurrency, when set, is a hard cap of its own.
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
        self.starting: dict[str, int] = {}
        self.started: list[Worker] = []
        self.spare_lock = threading.Lock()
        self.spare: subprocess.Popen[bytes] | None = start_process(python, runtime_sdk)
        threading.Thread(target=self.reap_idle, daemon=True).start()

    def take_spare(self) -> subprocess.Popen[bytes] | None:
        """The process started ahead for the next cold start, if it is ready; another is started in the background."""
        with self.spare_lock:
            spare, self.spare = self.spare, None
        threading.Thread(target=self.refill_spare, daemon=True).start()
        return spare if spare is not None and spare.poll() is None else None

    def refill_spare(self) -> None:
        process = start_process(self.python, self.runtime_sdk)
        with self.spare_lock:
            if self.spare is None:
                self.spare, process = process, None
        if process is not None:
            process.kill()
            process.wait()

    def acquire(self, version: FunctionVersion, credentials: dict[str, Any], deadline: float) -> Worker | None:
        """An idle worker of this revision, or a new one; None if no slot frees up before the deadline."""
        soft_cap = version.reserved_concurrency or self.max_workers
        hard_cap = version.reserved_concurrency or HARD_CAP
        spill_at = time.time() + SPILL_WAIT_SECONDS
        with self.lock:
            self.discard_stale(version, deadline)
            while True:
                idle = [w for w in self.idle.get(version.name, []) if w.alive]
                if idle:
                    worker = idle.pop()
                    self.idle[version.name] = idle
                    self.busy[version.name] = self.busy.get(version.name, 0) + 1
                    return worker
                busy = self.busy.get(version.name, 0)
                # Past the soft cap, spill only while no environment of the function is starting:
                # a burst of cold starts on a laptop slows every one of them down.
                starting = self.starting.get(version.name, 0)
                if busy < soft_cap or (busy < hard_cap and not starting and time.time() >= spill_at):
                    self.busy[version.name] = busy + 1
                    self.starting[version.name] = starting + 1
                    break
                now = time.time()
                if now >= deadline:
                    return None
                wake_at = min(deadline, spill_at) if busy < hard_cap and not starting else deadline
                self.lock.wait(timeout=wake_at - now)
        try:
            env = runtime_environment(
                version, credentials, stream_name(), self.region, self.endpoint, self.runtime_sdk, self.runtime
            )
            worker = Worker(
                version,
                env,
                self.python,
                self.sink,
                self.init_timeout,
                credentials_expiry(credentials),
                # A debugged environment starts under debugpy, never in a process started ahead.
                self.take_spare() if version.debugger is None else None,
            )
        except BaseException:
            self.release_slot(version.name)
            raise
        finally:
            with self.lock:
                self.starting[version.name] -= 1
                self.lock.notify_all()
        with self.lock:
            self.started.append(worker)
        return worker

    def describe(self) -> list[dict[str, Any]]:
        """The live workers: process id, function, log stream and whether each holds an invocation.

        GET /workers on the runner answers this, so tests (and a developer) can find a function's processes:
        their own environment no longer names the function (they are started ahead, see launcher.py).
        """
        with self.lock:
            self.started = [worker for worker in self.started if worker.alive]
            return [
                {
                    "pid": worker.process.pid,
                    "function": worker.version.name,
                    "log_stream": worker.log_stream,
                    "busy": worker.api.busy,
                }
                for worker in self.started
            ]

    def discard_stale(self, version: FunctionVersion, deadline: float | None = None) -> None:
        """Workers of an older revision never serve again, nor do those whose credentials would expire first.

        Lambda renews an environment's credentials before they expire; here a
        worker's environment is fixed at its start, so it is retired instead
        and the next one starts with the role's fresh credentials.
        """
        valid_until = datetime.fromtimestamp(deadline or time.time(), UTC) + CREDENTIAL_MARGIN
        keep = []
        for worker in self.idle.get(version.name, []):
            if worker.version.revision == version.revision and worker.alive and worker.credentials_expire > valid_until:
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
        with self.spare_lock:
            spare, self.spare = self.spare, None
        if spare is not None:
            spare.kill()
            spare.wait()
        with self.lock:
            for workers in self.idle.values():
                for worker in workers:
                    worker.kill()
            self.idle.clear()
