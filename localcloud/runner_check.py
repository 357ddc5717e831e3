"""Fail loudly when a deployed function would not run in our Lambda runner.

MiniStack hands a function to the runner only if the function's own
environment holds MINISTACK_LAMBDA_PROXY_URL (modules/function sets it when
given local_runner_url), or MINISTACK_LAMBDA_PROXY_<name> was in MiniStack's
environment when it started (EXTRA_FUNCTIONS). Any other function runs on
MiniStack's own interpreter, with its packages, and nothing would say so: a
function built without the module, or a cloud started with the runner off. So
after each deploy every function in the cloud is checked.
"""

from __future__ import annotations

import argparse
from typing import Any

from localcloud import ministack, runner_process
from localcloud.errors import LocalCloudError
from localcloud.runner.catalog import PROXY_URL_VARIABLE
from localcloud.settings import Settings
from localcloud.stale_state import client

PROXY_PREFIX = "MINISTACK_LAMBDA_PROXY_"


def proxy_url(function: dict[str, Any], server_environment: dict[str, str]) -> str | None:
    """Where MiniStack forwards this function's invocations, by its own rule (lambda_svc._proxy_url_for)."""
    variables = (function.get("Environment") or {}).get("Variables") or {}
    return variables.get(PROXY_URL_VARIABLE) or server_environment.get(PROXY_PREFIX + function["FunctionName"])


def functions_off_runner(settings: Settings) -> list[str]:
    """Names of the cloud's functions that MiniStack would not hand to our running runner, as themselves.

    The address must name the function itself: the runner serves whatever function
    the path names, so a copied environment would run another function's code.
    """
    pid = ministack.server_pid(settings)
    if pid is None:
        raise LocalCloudError(f"the local cloud on port {settings.port} is not running")
    environment = ministack.process_environment(pid)
    runner_on = runner_process.runner_pid(settings) is not None
    functions = [
        function
        for page in client("lambda", settings.endpoint).get_paginator("list_functions").paginate()
        for function in page["Functions"]
    ]
    return sorted(
        function["FunctionName"]
        for function in functions
        if not (
            runner_on
            and proxy_url(function, environment) == runner_process.proxy_url(settings, function["FunctionName"])
        )
    )


def run(settings: Settings, args: argparse.Namespace) -> int:
    off = functions_off_runner(settings)
    if off:
        why = (
            "the runner is off (LOCALCLOUD_RUNNER=false)"
            if runner_process.runner_pid(settings) is None
            else f"build them with modules/function given local_runner_url=http://127.0.0.1:{settings.runner_port} "
            "(targets/local.tfvars does), or, for functions created outside Terraform, name them in "
            "EXTRA_FUNCTIONS, then make down && make deploy"
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
