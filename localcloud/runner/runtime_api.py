"""The Lambda Runtime API of one execution environment, served to AWS's runtime client.

The documented endpoints (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html):
GET  /2018-06-01/runtime/invocation/next           the next event, with its Lambda-Runtime-* headers
POST /2018-06-01/runtime/invocation/<id>/response  the invocation's result
POST /2018-06-01/runtime/invocation/<id>/error     the invocation's error document
POST /2018-06-01/runtime/init/error                the init phase's error document

One listener per environment on a port of its own, so AWS_LAMBDA_RUNTIME_API
is a plain host:port as on AWS. The runtime client keeps one connection open
(keep-alive) and long-polls `next` on it, so an invocation costs two requests
on a warm socket and no new thread.
"""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

PREFIX = "/2018-06-01/runtime/"
ACCEPTED = b'{"status": "OK"}'


@dataclass(frozen=True)
class Invocation:
    """What `next` hands the runtime: the event and the headers that make its context."""

    request_id: str
    body: bytes
    deadline_ms: int
    function_arn: str
    trace_id: str | None = None


@dataclass(frozen=True)
class Event:
    """What the runtime told the API: ready (its first `next`), response, error or init_error."""

    kind: str
    body: bytes = b""


class RuntimeApi:
    """Hands invocations to one runtime and collects what it posts back, as Events."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self.invocations: queue.Queue[Invocation | None] = queue.Queue()
        self.events: queue.Queue[Event | None] = queue.Queue()
        self.polled = False
        self.current: str | None = None
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while True:
            try:
                connection, address = self.listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self.serve, args=(connection, address), daemon=True).start()

    def serve(self, connection: socket.socket, address: Any) -> None:
        try:
            RuntimeApiHandler(connection, address, self)
        except OSError:
            pass  # the runtime went away mid-request
        finally:
            connection.close()

    def next_invocation(self) -> Invocation | None:
        """Blocks until the runner hands this environment an invocation; None when it closes."""
        if not self.polled:
            self.polled = True
            self.events.put(Event("ready"))
        invocation = self.invocations.get()
        self.current = invocation.request_id if invocation else None
        return invocation

    @property
    def busy(self) -> bool:
        """Whether the runtime holds an invocation (handed over or waiting to be) and has not answered it."""
        return self.current is not None or not self.invocations.empty()

    def close(self) -> None:
        """Stop accepting and release a `next` waiting for work."""
        self.invocations.put(None)
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        self.listener.close()


class RuntimeApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # small answers must not wait for the peer's delayed ACK
    server: RuntimeApi  # type: ignore[assignment]

    def do_GET(self) -> None:
        if self.path != PREFIX + "invocation/next":
            self.answer(404, b'{"errorType": "NotFound"}')
            return
        invocation = self.server.next_invocation()
        if invocation is None:
            self.close_connection = True
            return
        headers = {
            "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
            "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": invocation.function_arn,
        }
        if invocation.trace_id:
            headers["Lambda-Runtime-Trace-Id"] = invocation.trace_id
        self.answer(200, invocation.body, headers)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self.path.removeprefix(PREFIX)
        if path == "init/error":
            self.server.events.put(Event("init_error", body))
            self.answer(202, ACCEPTED)
            return
        parts = path.split("/")
        if len(parts) != 3 or parts[0] != "invocation" or parts[2] not in ("response", "error"):
            self.answer(404, b'{"errorType": "NotFound"}')
            return
        if parts[1] != self.server.current:
            self.answer(400, json.dumps({"errorType": "InvalidRequestID", "errorMessage": parts[1]}).encode())
            return
        self.server.current = None
        self.server.events.put(Event(parts[2], body))
        self.answer(202, ACCEPTED)

    def answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response_only(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return
