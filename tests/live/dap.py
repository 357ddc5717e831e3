"""A Debug Adapter Protocol client, just enough to attach to debugpy as an IDE does.

An IDE talks DAP to debugpy: initialize, attach, then (after debugpy's
`initialized` event) its breakpoints and configurationDone; debugpy answers
the attach only after that.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any

from localcloud.processes import wait_until


class DapClient:
    def __init__(self, port: int, connect_timeout: float = 30.0) -> None:
        self.sock = connect(port, connect_timeout)
        self.seq = 0
        self.buffer = b""
        self.messages: list[dict[str, Any]] = []

    def close(self) -> None:
        self.sock.close()

    def send(self, command: str, arguments: dict[str, Any] | None = None) -> int:
        self.seq += 1
        body = json.dumps({"seq": self.seq, "type": "request", "command": command, "arguments": arguments or {}})
        self.sock.sendall(f"Content-Length: {len(body)}\r\n\r\n{body}".encode())
        return self.seq

    def request(self, command: str, arguments: dict[str, Any] | None = None, timeout: float = 30.0) -> dict[str, Any]:
        seq = self.send(command, arguments)
        return self.response(seq, timeout)

    def response(self, seq: int, timeout: float = 30.0) -> dict[str, Any]:
        found = self.wait_for(lambda m: m["type"] == "response" and m["request_seq"] == seq, timeout)
        if not found["success"]:
            raise AssertionError(f"{found['command']} failed: {found.get('message')}")
        return found

    def event(self, name: str, timeout: float = 30.0) -> dict[str, Any]:
        return self.wait_for(lambda m: m["type"] == "event" and m["event"] == name, timeout)

    def wait_for(self, matches: Any, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for index, message in enumerate(self.messages):
                if matches(message):
                    return self.messages.pop(index)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no such DAP message within {timeout} s; seen: {self.messages}")
            self.sock.settimeout(remaining)
            self.read_message()

    def read_message(self) -> None:
        while b"\r\n\r\n" not in self.buffer:
            self.receive()
        header, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        length = int(header.split(b":")[1])
        while len(self.buffer) < length:
            self.receive()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        self.messages.append(json.loads(body))

    def receive(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("debugpy closed the connection")
        self.buffer += chunk

    def attach(self, breakpoints: dict[str, list[int]] | None = None) -> None:
        """The IDE's handshake, with breakpoints (file -> lines) set before configurationDone."""
        self.request("initialize", {"clientID": "tests", "adapterID": "debugpy", "pathFormat": "path"})
        attach = self.send("attach", {"justMyCode": False})
        self.event("initialized")
        for path, lines in (breakpoints or {}).items():
            answer = self.request(
                "setBreakpoints", {"source": {"path": path}, "breakpoints": [{"line": n} for n in lines]}
            )
            assert all(b["verified"] for b in answer["body"]["breakpoints"]), answer
        self.request("configurationDone")
        self.response(attach)


def connect(port: int, timeout: float) -> socket.socket:
    """Connect once something listens on the port (the worker starts debugpy on demand)."""
    sock: list[socket.socket] = []

    def try_connect() -> bool:
        try:
            sock.append(socket.create_connection(("127.0.0.1", port), timeout=1))
        except OSError:
            return False
        return True

    if not wait_until(try_connect, timeout):
        raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")
    return sock[0]
