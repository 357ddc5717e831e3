"""The HTTP side of the runner: MiniStack's proxy mode posts each invocation here.

POST /functions/<name> carries the event as its body and the request id and
deadline in X-Amzn-Lambda-* headers. A 200 answers with the function's result;
any other status tells MiniStack the invocation failed, with AWS's error JSON.
"""

from __future__ import annotations

import json
import math
import sys
import time
import traceback
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from localcloud.runner.catalog import Catalog
from localcloud.runner.workers import LogSink, Outcome, Pool

PREFIX = "/functions/"
# MiniStack stops waiting at the same deadline and reports its own
# Sandbox.Timedout "Task timed out after N.00 seconds", which is closer to AWS
# than our answer would be once wrapped ("Proxy target returned HTTP 504: ...").
# Answering a timeout only after it gave up makes that the one outcome, not a race.
TIMEOUT_ANSWER_GRACE_SECONDS = 1.0


def platform_error_lines(error: dict[str, Any]) -> list[str]:
    """How the Python runtime logs an unhandled error."""
    lines = [f"[ERROR] {error['errorType']}: {error['errorMessage']}"]
    if error.get("stackTrace"):
        lines.append("Traceback (most recent call last):")
        lines.extend(entry.rstrip("\n") for entry in error["stackTrace"])
    return lines


class Invoker:
    """Runs one invocation on a worker and writes START/END/REPORT around it."""

    def __init__(self, catalog: Catalog, pool: Pool, sink: LogSink) -> None:
        self.catalog = catalog
        self.pool = pool
        self.sink = sink

    def invoke(
        self, name: str, event: Any, request_id: str, deadline_ms: int | None, trace_id: str | None
    ) -> tuple[int, bytes]:
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
        if worker.init_timed_out:
            # Lambda then runs init again inside the invocation, which times out with the
            # function's timeout ("Task timed out after"): the outcome answered here.
            log(f"INIT_REPORT Init Duration: {worker.init_ms:.2f} ms\tPhase: init\tStatus: timeout")
            worker.reported_init = True
        log(f"START RequestId: {request_id} Version: $LATEST")
        try:
            if worker.init_timed_out:
                outcome = Outcome(timed_out=True)
            elif worker.init_error is not None:
                outcome = Outcome(error=dict(worker.init_error, requestId=request_id))
            else:
                outcome = worker.invoke(
                    {
                        "event": event,
                        "request_id": request_id,
                        "deadline_ms": int(deadline * 1000),
                        "invoked_function_arn": version.arn,
                        "trace_id": trace_id,
                    },
                    deadline,
                )
        finally:
            self.pool.release(worker)
        duration_ms = (time.perf_counter() - started) * 1000
        if outcome.timed_out:
            stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            log(f"{stamp} {request_id} Task timed out after {version.timeout_seconds:.2f} seconds")
        elif outcome.error is not None:
            for line in platform_error_lines(outcome.error):
                log(line)
        log(f"END RequestId: {request_id}")
        init = "" if worker.reported_init else f"\tInit Duration: {worker.init_ms:.2f} ms"
        worker.reported_init = True
        log(
            f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration: "
            f"{math.ceil(duration_ms)} ms\tMemory Size: {version.memory_mb} MB\t"
            f"Max Memory Used: {worker.max_memory_mb()} MB{init}"
        )
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
        return 200, (outcome.payload or "null").encode()


def make_handler(invoker: Invoker) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            if not self.path.startswith(PREFIX):
                self.answer(404, b'{"message": "not a function path"}')
                return
            name = self.path[len(PREFIX) :]
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                status, payload = invoker.invoke(
                    name,
                    json.loads(body or b"null"),
                    self.headers.get("X-Amzn-Lambda-Request-Id") or str(uuid.uuid4()),
                    int(self.headers["X-Amzn-Lambda-Deadline-Ms"])
                    if self.headers.get("X-Amzn-Lambda-Deadline-Ms")
                    else None,
                    self.headers.get("X-Amzn-Trace-Id"),
                )
            except Exception as err:  # noqa: BLE001 - the runner must answer, whatever broke
                traceback.print_exc()
                status = 500
                payload = json.dumps({"errorType": "Runtime.RunnerError", "errorMessage": str(err)}).encode()
            self.answer(status, payload)

        def do_GET(self) -> None:
            self.answer(200, b'{"status": "ok"}')

        def answer(self, status: int, payload: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the caller gave up (its own timeout); nothing to tell it

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


def serve(port: int, invoker: Invoker) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(invoker))
    server.daemon_threads = True
    print(f"runner: listening on 127.0.0.1:{port}", file=sys.stderr, flush=True)
    return server
