"""client.sh, the curl-only client, against the live stack."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.conftest import REPO_ROOT
from tests.live.stack import Stack

pytestmark = pytest.mark.integration
CLIENT = REPO_ROOT / "client.sh"


def run_client(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLIENT), *args], capture_output=True, text=True, timeout=60, check=False, env={**os.environ, **(env or {})}
    )


def test_client_posts_and_prints_the_result(stack: Stack, sla: float) -> None:
    # GIVEN the API's URL and authorization on the command line, and the key (API_KEY) in the environment
    key = {"INBOX_API_KEY": stack.api_key} if stack.api_key else {}
    args = ["--api-url", stack.api_url, "--auth", stack.api_authorization, "--timeout", str(int(sla))]
    result = run_client(*args, 'client says "hi" & bye', env=key)
    assert result.returncode == 0, result.stderr
    assert "POST /inbox -> 200" in result.stdout
    assert '-> 200 {"id": "client-' in result.stdout
    assert 'client says \\"hi\\" & bye' in result.stdout


def test_client_reads_the_api_url_from_terraform_output(stack: Stack, sla: float) -> None:
    # GIVEN no --api-url: the client asks `terraform output` (the workspace the Makefile selected) for the URL,
    # the authorization and the API key
    result = run_client("--timeout", str(int(sla)), "from terraform output")
    # THEN it reaches the deployed stack
    assert result.returncode == 0, result.stderr
    assert "POST /inbox -> 200" in result.stdout
    assert '"message": "from terraform output"' in result.stdout
    # AND never prints the key
    if stack.api_key:
        assert stack.api_key not in result.stdout + result.stderr


def test_client_refuses_an_unknown_authorization() -> None:
    result = run_client("--api-url", "http://127.0.0.1:9", "--auth", "OAUTH", "x")
    assert result.returncode == 2
    assert "--auth takes NONE, AWS_IAM or API_KEY, not 'OAUTH'" in result.stderr


def test_client_fails_clearly_when_the_api_is_unreachable() -> None:
    result = run_client("--api-url", "http://127.0.0.1:9", "x")
    assert result.returncode == 1
    assert "error: could not reach http://127.0.0.1:9" in result.stderr


def test_client_explains_itself() -> None:
    result = run_client("--help")
    assert result.returncode == 0
    assert "Usage: ./client.sh" in result.stdout


def test_client_rejects_unknown_options() -> None:
    result = run_client("--bogus")
    assert result.returncode == 2
    assert "unknown option --bogus" in result.stderr
