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

The warm path is what an invocation's overhead is made of, so the HTTP here
is a small HTTP/1.1 keep-alive loop rather than http.server (whose parsing
costs more than the rest of a trip), and an open `next` is answered by the
thread that hands the invocation over, not by waking the connection's thread.
Its only client is one runtime client, whose requests are small and
well-formed: Content-Length bodies, no chunked encoding.
"""

from __future__ import annotations

import collections
import contextlib
import json
import queue
import socket
import threading
from dataclasses import dataclass

from localcloud.runner.http11 import BadRequest, Request, answer, read_request

PREFIX = "/2018-06-01/runtime/"
NEXT = PREFIX + "invocation/next"
ACCEPTED = b'{"status": "OK"}'
NOT_FOUND = b'{"errorType": "NotFound"}'


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


def next_answer(invocation: Invocation) -> bytes:
    headers = {
        "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
        "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
        "Lambda-Runtime-Invoked-Function-Arn": invocation.function_arn,
    }
    if invocation.trace_id:
        headers["Lambda-Runtime-Trace-Id"] = invocation.trace_id
    return answer(200, invocation.body, headers)


class RuntimeApi:
    """Hands invocations to one runtime and collects what it posts back, as Events."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self.events: queue.Queue[Event | None] = queue.Queue()
        self.lock = threading.Lock()
        self.pending: collections.deque[Invocation] = collections.deque()
        self.waiting: socket.socket | None = None  # the connection whose `next` is open
        self.polled = False
        self.closed = False
        self.current: str | None = None
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self.serve, args=(connection,), daemon=True).start()

    def hand(self, invocation: Invocation) -> None:
        """Give the runtime an invocation: at once if its `next` is open, else at its next `next`."""
        with self.lock:
            if self.waiting is None:
                self.pending.append(invocation)
                return
            connection, self.waiting = self.waiting, None
            self.current = invocation.request_id
        with contextlib.suppress(OSError):
            connection.sendall(next_answer(invocation))  # if the runtime died, its exit is the outcome

    @property
    def busy(self) -> bool:
        """Whether the runtime holds an invocation (handed over or waiting to be) and has not answered it."""
        return self.current is not None or bool(self.pending)

    def close(self) -> None:
        """Stop accepting and end a `next` waiting for work."""
        with self.lock:
            self.closed = True
            waiting, self.waiting = self.waiting, None
        if waiting is not None:
            with contextlib.suppress(OSError):
                waiting.shutdown(socket.SHUT_RDWR)  # the runtime's `next` ends, as its environment does
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        self.listener.close()

    def serve(self, connection: socket.socket) -> None:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # small answers must not wait for an ACK
        try:
            with connection, connection.makefile("rb") as reader:
                while True:
                    try:
                        request = read_request(reader, connection)
                    except BadRequest as err:
                        connection.sendall(
                            answer(400, json.dumps({"errorType": "BadRequest", "errorMessage": str(err)}).encode())
                        )
                        return
                    if request is None or not self.dispatch(request, connection) or not request.keep_alive:
                        return
        except OSError:
            pass  # the runtime went away mid-request

    def dispatch(self, request: Request, connection: socket.socket) -> bool:
        """Answer one request (or leave a `next` open for hand()); False ends the connection."""
        if request.method == "GET":
            return self.open_next(connection) if request.path == NEXT else self.reply(connection, 404, NOT_FOUND)
        if request.method != "POST":
            return self.reply(connection, 404, NOT_FOUND)
        path = request.path.removeprefix(PREFIX)
        if path == "init/error":
            self.events.put(Event("init_error", request.body))
            return self.reply(connection, 202, ACCEPTED)
        parts = path.split("/")
        if len(parts) != 3 or parts[0] != "invocation" or parts[2] not in ("response", "error"):
            return self.reply(connection, 404, NOT_FOUND)
        if parts[1] != self.current:
            error = {"errorType": "InvalidRequestID", "errorMessage": parts[1]}
            return self.reply(connection, 400, json.dumps(error).encode())
        self.current = None
        self.events.put(Event(parts[2], request.body))
        return self.reply(connection, 202, ACCEPTED)

    def open_next(self, connection: socket.socket) -> bool:
        """The runtime asks for work: the first time, that ends its init."""
        with self.lock:
            if self.closed:
                return False
            if not self.polled:
                self.polled = True
                self.events.put(Event("ready"))
            if not self.pending:
                self.waiting = connection
                return True
            invocation = self.pending.popleft()
            self.current = invocation.request_id
        connection.sendall(next_answer(invocation))
        return True

    @staticmethod
    def reply(connection: socket.socket, status: int, body: bytes) -> bool:
        connection.sendall(answer(status, body))
        return True
