"""The Runtime API as the runtime client sees it: documented endpoints and headers on one keep-alive connection."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator

import pytest

from localcloud.runner.runtime_api import PREFIX, Event, Invocation, RuntimeApi


@pytest.fixture
def api() -> Iterator[RuntimeApi]:
    runtime_api = RuntimeApi()
    yield runtime_api
    runtime_api.close()


def connect(api: RuntimeApi) -> http.client.HTTPConnection:
    host, port = api.address.split(":")
    return http.client.HTTPConnection(host, int(port), timeout=5)


def test_invocations_go_out_with_their_headers_and_results_come_back_on_one_connection(api: RuntimeApi) -> None:
    # GIVEN a runtime polling `next` on one connection, and two invocations handed to it in turn
    runtime = connect(api)
    for number in (1, 2):
        runtime.request("GET", PREFIX + "invocation/next")
        if number == 1:
            assert api.events.get(timeout=5) == Event("ready")
        api.hand(Invocation(f"req-{number}", b'{"n": %d}' % number, 1234, "arn:fn", "Root=1-abc"))

        # WHEN the runtime reads the invocation and posts its result on the same connection
        answer = runtime.getresponse()
        body = answer.read()
        runtime.request("POST", f"{PREFIX}invocation/req-{number}/response", body=b'{"ok": %d}' % number)
        accepted = runtime.getresponse()
        accepted.read()

        # THEN the runtime saw Lambda's headers, and the runner the result
        assert answer.status == 200
        assert body == b'{"n": %d}' % number
        assert answer.getheader("Lambda-Runtime-Aws-Request-Id") == f"req-{number}"
        assert answer.getheader("Lambda-Runtime-Deadline-Ms") == "1234"
        assert answer.getheader("Lambda-Runtime-Invoked-Function-Arn") == "arn:fn"
        assert answer.getheader("Lambda-Runtime-Trace-Id") == "Root=1-abc"
        assert accepted.status == 202
        assert api.events.get(timeout=5) == Event("response", b'{"ok": %d}' % number)
        assert not api.busy


def test_an_error_for_another_request_and_an_unknown_path_are_refused(api: RuntimeApi) -> None:
    # GIVEN a runtime holding invocation req-1
    api.hand(Invocation("req-1", b"{}", 1, "arn:fn"))
    runtime = connect(api)
    runtime.request("GET", PREFIX + "invocation/next")
    runtime.getresponse().read()

    # WHEN it posts for another request id, then to a path the API lacks
    runtime.request("POST", PREFIX + "invocation/req-2/error", body=b"{}")
    wrong_id = runtime.getresponse()
    wrong_id_body = json.loads(wrong_id.read())
    runtime.request("GET", PREFIX + "invocation/req-1")
    unknown = runtime.getresponse()
    unknown.read()

    # THEN both are refused, and req-1 is still the runtime's to answer
    assert (wrong_id.status, wrong_id_body["errorType"]) == (400, "InvalidRequestID")
    assert unknown.status == 404
    runtime.request("POST", PREFIX + "invocation/req-1/error", body=b'{"errorType": "E"}')
    assert runtime.getresponse().status == 202
    assert api.events.get(timeout=5) == Event("ready")
    assert api.events.get(timeout=5) == Event("error", b'{"errorType": "E"}')


def test_an_init_error_sent_after_100_continue_and_closing_is_received(api: RuntimeApi) -> None:
    # GIVEN a client that asks to continue before its body and closes after one request (as libcurl and http.client may)
    host, port = api.address.split(":")
    body = b'{"errorType": "Runtime.ImportModuleError"}'
    with socket.create_connection((host, int(port)), timeout=5) as client:
        client.sendall(
            f"POST {PREFIX}init/error HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
            "Expect: 100-continue\r\nConnection: close\r\n\r\n".encode()
        )
        # WHEN it sends its body once told to continue
        assert client.recv(1024).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        client.sendall(body)
        received = b""
        while chunk := client.recv(1024):
            received += chunk

    # THEN the runner has the init error, and the API answered 202 and closed the connection
    assert received.startswith(b"HTTP/1.1 202 ")
    assert api.events.get(timeout=5) == Event("init_error", body)
