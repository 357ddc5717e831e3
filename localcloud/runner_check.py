"""Fail loudly when a deployed function would not run in our Lambda runner.

MiniStack hands a function to the runner only if MINISTACK_LAMBDA_PROXY_<name>
was in its environment when it started, or the function's own environment
holds MINISTACK_LAMBDA_PROXY_URL. Any other function runs on MiniStack's own
interpreter, with its packages, and nothing would say so: a new function, a
stack with another NAME_PREFIX, or a cloud started with the runner off. So
after each deploy every function in the cloud is checked.
"""

from __future__ import annotations

import argparse
from typing import Any

from localcloud import ministack, runner_process
from localcloud.errors import LocalCloudError
from localcloud.settings import Settings
from localcloud.stale_state import client

PROXY_PREFIX = "MINISTACK_LAMBDA_PROXY_"
PROXY_URL_VARIABLE = "MINISTACK_LAMBDA_PROXY_URL"


def proxy_url(function: dict[str, Any], server_environment: dict[str, str]) -> str | None:
    """Where MiniStack forwards this function's invocations, by its own rule (lambda_svc._proxy_url_for)."""
    variables = (function.get("Environment") or {}).get("Variables") or {}
    return variables.get(PROXY_URL_VARIABLE) or server_environment.get(PROXY_PREFIX + function["FunctionName"])


def functions_off_runner(settings: Settings) -> list[str]:
    """Names of the cloud's functions that MiniStack would not hand to our running runner."""
    pid = ministack.server_pid(settings)
    if pid is None:
        raise LocalCloudError(f"the local cloud on port {settings.port} is not running")
    environment = ministack.process_environment(pid)
    runner_on = runner_process.runner_pid(settings) is not None
    ours = runner_process.proxy_url(settings, "")
    functions = [
        function
        for page in client("lambda", settings.endpoint).get_paginator("list_functions").paginate()
        for function in page["Functions"]
    ]
    return sorted(
        function["FunctionName"]
        for function in functions
        if not (runner_on and (proxy_url(function, environment) or "").startswith(ours))
    )


def run(settings: Settings, args: argparse.Namespace) -> int:
    off = functions_off_runner(settings)
    if off:
        why = (
            "the runner is off (LOCALCLOUD_RUNNER=false)"
            if runner_process.runner_pid(settings) is None
            else "the local cloud did not know their names when it started (add them to EXTRA_FUNCTIONS, "
            "then make down && make deploy)"
        )
        raise LocalCloudError(
            f"{len(off)} function(s) would run on MiniStack's own interpreter, not in our Lambda runner: "
            f"{', '.join(off)}; {why}"
        )
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "check-runner", help="fail with one line naming any function that would not run in our runner"
    )
    parser.set_defaults(run=run)
