"""The HTTP side of the runner: MiniStack's proxy mode posts each invocation here.

POST /functions/<name> carries the event as its body and the request id and
deadline in X-Amzn-Lambda-* headers. A 200 answers with the function's result;
any other status tells MiniStack the invocation failed, with AWS's error JSON.
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from localcloud.runner.catalog import Catalog, FunctionVersion
from localcloud.runner.http11 import BadRequest, Request, answer, read_request
from localcloud.runner.runtime_api import Invocation
from localcloud.runner.workers import LogSink, Outcome, Pool

PREFIX = "/functions/"
# MiniStack stops waiting at the same deadline and reports its own
# Sandbox.Timedout "Task timed out after N.00 seconds", which is closer to AWS
# than our answer would be once wrapped ("Proxy target returned HTTP 504: ...").
# Answering a timeout only after it gave up makes that the one outcome, not a race.
TIMEOUT_ANSWER_GRACE_SECONDS = 1.0


def utc_stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class PlatformLog:
    """Lambda's own lines around an invocation, plain text or JSON as the function's LoggingConfig says.

    JSON system logs on AWS: {"time", "type": "platform.start" | "platform.report", "record": {...}},
    and no END line.
    """

    def __init__(self, version: FunctionVersion, write: Callable[[str], None]) -> None:
        self.json = version.log_format == "JSON"
        self.memory_mb = version.memory_mb
        self.write = write

    def record(self, kind: str, record: dict[str, Any]) -> None:
        self.write(json.dumps({"time": utc_stamp(), "type": kind, "record": record}))

    def init_timeout(self, init_ms: float) -> None:
        if self.json:
            self.record(
                "platform.initReport",
                {
                    "initializationType": "on-demand",
                    "phase": "init",
                    "status": "timeout",
                    "metrics": {"durationMs": round(init_ms, 3)},
                },
            )
        else:
            self.write(f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: init\tStatus: timeout")

    def start(self, request_id: str) -> None:
        if self.json:
            self.record("platform.start", {"requestId": request_id, "version": "$LATEST"})
        else:
            self.write(f"START RequestId: {request_id} Version: $LATEST")

    def end(self, request_id: str, duration_ms: float, max_memory_mb: int, init_ms: float | None, status: str) -> None:
        if self.json:
            metrics: dict[str, Any] = {
                "durationMs": round(duration_ms, 3),
                "billedDurationMs": math.ceil(duration_ms),
                "memorySizeMB": self.memory_mb,
                "maxMemoryUsedMB": max_memory_mb,
            }
            if init_ms is not None:
                metrics["initDurationMs"] = round(init_ms, 3)
            self.record("platform.report", {"requestId": request_id, "metrics": metrics, "status": status})
            return
        self.write(f"END RequestId: {request_id}")
        init = "" if init_ms is None else f"\tInit Duration: {init_ms:.2f} ms"
        self.write(
            f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration: "
            f"{math.ceil(duration_ms)} ms\tMemory Size: {self.memory_mb} MB\t"
            f"Max Memory Used: {max_memory_mb} MB{init}"
        )


class Invoker:
    """Runs one invocation on a worker and writes START/END/REPORT around it."""

    def __init__(self, catalog: Catalog, pool: Pool, sink: LogSink) -> None:
        self.catalog = catalog
        self.pool = pool
        self.sink = sink

    def invoke(
        self, name: str, event: bytes, request_id: str, deadline_ms: int | None, trace_id: str | None
    ) -> tuple[int, bytes]:
        """Run the event (the JSON MiniStack posted, as is) and answer with a status and body for MiniStack."""
        version = self.catalog.function(name)
        deadline = deadline_ms / 1000 if deadline_ms else time.time() + version.timeout_seconds
        credentials = self.catalog.role_credentials(version)
        worker = self.pool.acquire(version, credentials, deadline)
        if worker is None:
            error = {"errorType": "TooManyRequestsException", "errorMessage": f"Rate Exceeded: {name}"}
            return 429, json.dumps(error).encode()
        # As on AWS, Duration excludes the cold start, which REPORT shows as Init Duration.
        started = time.perf_counter()
        log = lambda line: self.sink(name, worker.log_stream, line)  # noqa: E731
        platform = PlatformLog(version, log)
        if worker.init_timed_out:
            # Lambda then runs init again inside the invocation, which times out with the
            # function's timeout ("Task timed out after"): the outcome answered here.
            platform.init_timeout(worker.init_ms)
            worker.reported_init = True
        platform.start(request_id)
        try:
            if worker.init_timed_out:
                outcome = Outcome(timed_out=True)
            elif worker.init_error is not None:
                outcome = Outcome(error=dict(worker.init_error, requestId=request_id))
            else:
                outcome = worker.invoke(
                    Invocation(request_id, event, int(deadline * 1000), version.arn, trace_id), deadline
                )
        finally:
            self.pool.release(worker)
        duration_ms = (time.perf_counter() - started) * 1000
        if outcome.timed_out:
            log(f"{utc_stamp()} {request_id} Task timed out after {version.timeout_seconds:.2f} seconds")
        elif outcome.error is not None and outcome.error["errorType"] == "Runtime.ExitError":
            # The runtime client cannot report its own death: Lambda logs it, as here.
            log(f"{outcome.error['errorMessage']}\nRuntime.ExitError")
        status = "timeout" if outcome.timed_out else "error" if outcome.error is not None else "success"
        platform.end(
            request_id, duration_ms, worker.max_memory_mb(), None if worker.reported_init else worker.init_ms, status
        )
        worker.reported_init = True
        if outcome.timed_out:
            time.sleep(max(deadline + TIMEOUT_ANSWER_GRACE_SECONDS - time.time(), 0))
            error = {
                "errorType": "Sandbox.Timedout",
                "errorMessage": f"RequestId: {request_id} Error: "
                f"Task timed out after {version.timeout_seconds:.2f} seconds",
            }
            return 504, json.dumps(error).encode()
        if outcome.error is not None:
            return 500, json.dumps(outcome.error).encode()
        return 200, outcome.payload or b"null"


def make_handler(invoker: Invoker) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        """http.server's connection handling, with the lighter parsing and writing of http11 on each request."""

        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # an answer must not wait for the peer's delayed ACK

        def handle_one_request(self) -> None:
            try:
                request = read_request(self.rfile, self.connection)
            except BadRequest as err:
                self.close_connection = True
                self.answer(400, json.dumps({"message": str(err)}).encode())
                return
            if request is None:
                self.close_connection = True
                return
            self.close_connection = not request.keep_alive
            if request.method == "POST":
                self.answer(*self.post(request))
            elif request.method != "GET":
                self.answer(501, b'{"message": "unsupported method"}')
            elif request.path == "/workers":
                self.answer(200, json.dumps(invoker.pool.describe()).encode())
            else:
                self.answer(200, b'{"status": "ok"}')

        def post(self, request: Request) -> tuple[int, bytes]:
            if not request.path.startswith(PREFIX):
                return 404, b'{"message": "not a function path"}'
            headers = request.headers
            try:
                return invoker.invoke(
                    request.path[len(PREFIX) :],
                    request.body or b"null",
                    headers.get("x-amzn-lambda-request-id") or str(uuid.uuid4()),
                    int(headers["x-amzn-lambda-deadline-ms"]) if headers.get("x-amzn-lambda-deadline-ms") else None,
                    headers.get("x-amzn-trace-id"),
                )
            except Exception as err:  # noqa: BLE001 - the runner must answer, whatever broke
                traceback.print_exc()
                return 500, json.dumps({"errorType": "Runtime.RunnerError", "errorMessage": str(err)}).encode()

        def answer(self, status: int, payload: bytes) -> None:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the caller gave up: nothing to tell it
                self.wfile.write(answer(status, payload))

    return Handler


def serve(port: int, invoker: Invoker) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(invoker))
    server.daemon_threads = True
    print(f"runner: listening on 127.0.0.1:{port}", file=sys.stderr, flush=True)
    return server
