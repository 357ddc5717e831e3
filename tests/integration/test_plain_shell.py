"""A plain shell after `eval "$(make env)"`, and the guard against planning a stack against the wrong target.

The shell starts from nothing but HOME and PATH, as a new terminal would: what
it needs must come from `make env`. It is given the settings the deployed
stack was made with (port, workspace, extra variables), as a user passes
LOCALCLOUD_PORT to make.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.live.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.localonly, pytest.mark.slow]
PLAN_TIMEOUT_SECONDS = 300


def make_env_arguments() -> list[str]:
    """`make env`'s arguments for the deployed stack: the settings make itself was given."""
    settings = {
        "LOCALCLOUD_PORT": os.environ.get("LOCALCLOUD_PORT", "4566"),
        "WORKSPACE": os.environ.get("TF_WORKSPACE", "local"),
        "NAME_PREFIX": os.environ.get("NAME_PREFIX", "inbox-pipeline"),
        "EXTRA_TF_VARS": os.environ.get("EXTRA_TF_VARS", ""),
    }
    return [f"{name}={value}" for name, value in settings.items()]


def plain_shell(script: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    """Run script in bash after eval "$(make env ...)", from an environment holding only HOME and PATH."""
    environment = {"HOME": os.environ["HOME"], "PATH": os.environ["PATH"]}
    setup = subprocess.run(
        ["make", "-s", "-C", str(REPO_ROOT), "env", *make_env_arguments()],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    return subprocess.run(
        ["bash", "-c", f"set -euo pipefail\n{setup}\n{script}"],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=PLAN_TIMEOUT_SECONDS,
        check=False,
    )


def test_terraform_aws_and_curl_reach_the_deployed_stack_from_a_plain_shell(stack: Stack) -> None:
    # WHEN a plain shell set up by make env plans, asks the AWS CLI and curls the API
    result = plain_shell(
        "terraform plan -detailed-exitcode -input=false -lock=false -no-color >&2\n"
        'aws lambda get-function-configuration --function-name "$(terraform output -raw process_function_name)" '
        "--query State --output text\n"
        'curl -s -o /dev/null -w "%{http_code}\\n" "$(terraform output -raw api_url)/outbox?id=plain-shell-none"'
    )

    # THEN the plan of the deployed stack is clean (exit 0, not 2), and the others reach the stack
    assert result.returncode == 0, result.stderr[-3000:]
    assert "No changes." in result.stderr
    assert result.stdout.split() == ["Active", "404"]


@pytest.fixture
def module_copy(tmp_path: Path) -> Path:
    """The root module in a folder of its own with empty `local` and `aws` workspaces, so no real state is read."""
    for path in [*REPO_ROOT.glob("*.tf"), REPO_ROOT / ".terraform.lock.hcl"]:
        shutil.copy(path, tmp_path)
    shutil.copytree(REPO_ROOT / "modules", tmp_path / "modules")
    for workspace in ("local", "aws"):
        (tmp_path / "terraform.tfstate.d" / workspace).mkdir(parents=True)
    return tmp_path


@pytest.mark.parametrize(
    ("workspace", "variables", "explanation"),
    [
        ("local", "", "Workspace local holds the local cloud's stack, but local_endpoint is not set"),
        ("aws", f"-var-file={REPO_ROOT}/targets/local.tfvars", "Workspace aws holds the AWS stack, but local_endpoint"),
    ],
    ids=["local-workspace-not-pointed-at-the-local-cloud", "aws-workspace-pointed-at-the-local-cloud"],
)
def test_a_plan_for_the_wrong_target_fails_before_anything_is_created(
    stack: Stack, module_copy: Path, workspace: str, variables: str, explanation: str
) -> None:
    # GIVEN a workspace and variables that do not match (make env's own variables dropped)
    result = plain_shell(
        f"unset TF_CLI_ARGS_plan\nexport TF_WORKSPACE={workspace} TF_DATA_DIR={REPO_ROOT}/.terraform\n"
        f"terraform plan -input=false -lock=false -no-color -var build_dir={REPO_ROOT}/build {variables}",
        cwd=module_copy,
    )

    # THEN the plan fails, explaining which target the workspace is for (an apply plans first, so it stops there)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Resource precondition failed" in result.stderr
    assert explanation in " ".join(result.stderr.split())
