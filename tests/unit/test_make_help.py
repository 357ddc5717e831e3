"""make help reads as a menu: sections, the targets a user runs, no internal steps."""

from __future__ import annotations

import re
import subprocess

from tests.conftest import REPO_ROOT


def make(*args: str) -> str:
    return subprocess.run(
        ["make", "-s", "-C", str(REPO_ROOT), *args], capture_output=True, text=True, timeout=60, check=True
    ).stdout


def test_help_lists_every_described_target_under_a_section_and_no_internal_step() -> None:
    # GIVEN the Makefile's targets: described ones (`target: ## text`) and internal steps (no `##`)
    makefile = (REPO_ROOT / "Makefile").read_text()
    described = re.findall(r"^([a-zA-Z0-9_-]+):.*## ", makefile, re.M)
    every = set(re.findall(r"^([a-zA-Z0-9_-]+):", makefile, re.M))

    # WHEN make help runs
    lines = make("help").splitlines()

    # THEN each described target is listed once, after a section title, and nothing else is
    listed = [line.split()[0] for line in lines if line.startswith("  ")]
    assert sorted(listed) == sorted(described)
    sections = [line for line in lines if line and not line.startswith(("  ", "Usage:"))]
    assert sections[0] == "Everyday"
    assert {"Everyday", "Testing", "Local cloud"} <= set(sections)
    assert {"live-suites", "contract-deploy", "cloud-reachable"} <= every - set(listed)


def test_make_env_for_aws_undoes_the_local_settings() -> None:
    exports = make("env", "TARGET=aws")

    assert "unset AWS_ENDPOINT_URL" in exports
    assert "export TF_WORKSPACE=aws " in exports
    aws_vars = f"-var-file={REPO_ROOT}/targets/aws.tfvars -var name_prefix=inbox-pipeline -var region=us-east-1"
    assert f"TF_CLI_ARGS_apply='{aws_vars}'" in exports
    assert "local_endpoint" not in exports
