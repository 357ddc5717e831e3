"""Just enough HTTP/1.1 for the runner's two hops, MiniStack -> runner and runtime client -> Runtime API.

Both sit on every invocation's path, and http.server's request parsing (an
email parser for the headers) and its response writing (a date, several
sends) cost more than the rest of a warm trip through the runner. Their
clients are known and well-behaved (urllib, http.client, AWS's runtime client
over libcurl): requests with Content-Length bodies, no chunked encoding.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from http import HTTPStatus
from typing import BinaryIO

MAX_LINE = 65536


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    keep_alive: bool


class BadRequest(Exception):
    """A request that cannot be parsed: answered 400, and the connection closed."""


def read_request(reader: BinaryIO, connection: socket.socket) -> Request | None:
    """The next request on the connection; None once the peer closed it."""
    line = reader.readline(MAX_LINE)
    if not line:
        return None
    try:
        method, path, version = line.decode("latin-1").split()
    except ValueError:
        raise BadRequest(f"bad request line {line[:100]!r}") from None
    headers: dict[str, str] = {}
    while True:
        header = reader.readline(MAX_LINE)
        if header in (b"\r\n", b"\n"):
            break
        if not header:
            return None
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        raise BadRequest("chunked bodies are not supported")
    try:
        length = int(headers.get("content-length") or 0)
    except ValueError:
        raise BadRequest("bad Content-Length") from None
    if length and headers.get("expect", "").lower() == "100-continue":
        connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
    body = reader.read(length) if length else b""
    if len(body) < length:
        return None  # the peer went away mid-body
    connection_header = headers.get("connection", "").lower()
    keep_alive = connection_header != "close" and (version != "HTTP/1.0" or connection_header == "keep-alive")
    return Request(method, path, headers, body, keep_alive)


def answer(status: int, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    """One whole JSON response, to be written with a single send."""
    lines = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
    ]
    lines.extend(f"{name}: {value}" for name, value in (headers or {}).items())
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
