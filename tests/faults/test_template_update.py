"""A mapping-template change keeps POST /inbox's integration: updated in place, the next plan clean.

A replacement would put the new integration and then delete it (the
deployment's create_before_destroy propagates to it, and both name the same
method: hashicorp/terraform-provider-aws#21907). This changes the SQS
template through a Terraform override file, redeploys with make, and checks
what AWS would hold; then it puts the template back the same way.
"""

from __future__ import annotations

import os
import subprocess
from typing import Any
from urllib.parse import urlparse

import boto3
import pytest
import requests

from tests.conftest import REPO_ROOT
from tests.live.stack import Stack

pytestmark = [pytest.mark.faults, pytest.mark.slow]

OVERRIDE = REPO_ROOT / "modules" / "rest_api" / "template_change_override.tf"
# DelaySeconds=0 is SendMessage's default: a different template, the same behaviour.
CHANGED_TEMPLATE = "Action=SendMessage&DelaySeconds=0&MessageBody=$util.urlEncode($input.body)"


def make(target: str) -> None:
    """Run a make target of this stack. The parent make's variables arrive through MAKEFLAGS; the
    Makefile sets TF_WORKSPACE itself, and `terraform workspace select` refuses to run under one."""
    env = {name: value for name, value in os.environ.items() if name != "TF_WORKSPACE"}
    done = subprocess.run(["make", target], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"make {target} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


def api_id(stack: Stack) -> str:
    """The REST API's id: a path segment of the local cloud's URL, the first label of AWS's host."""
    if stack.is_local:
        return stack.api_url.split("/_aws/execute-api/", 1)[1].split("/", 1)[0]
    return urlparse(stack.api_url).hostname.split(".", 1)[0]


def inbox_integration(apigateway: Any, rest_api_id: str) -> dict[str, Any]:
    (inbox,) = [r for r in apigateway.get_resources(restApiId=rest_api_id)["items"] if r.get("path") == "/inbox"]
    return apigateway.get_integration(restApiId=rest_api_id, resourceId=inbox["id"], httpMethod="POST")


def assert_inbox_integration_holds(stack: Stack, template: str) -> None:
    """GetIntegration finds POST /inbox's integration with exactly this template and its responses."""
    apigateway = boto3.client("apigateway", region_name=stack.region)
    integration = inbox_integration(apigateway, api_id(stack))
    assert integration["requestTemplates"] == {"application/json": template}
    assert sorted(integration.get("integrationResponses", {})) == ["200", "400", "502"]


def test_a_changed_mapping_template_updates_the_integration_in_place(stack: Stack) -> None:
    original = inbox_integration(boto3.client("apigateway", region_name=stack.region), api_id(stack))
    original_template = original["requestTemplates"]["application/json"]
    try:
        # GIVEN the stack redeployed with a different SQS mapping template
        OVERRIDE.write_text(f'locals {{\n  send_message_template = "{CHANGED_TEMPLATE}"\n}}\n')
        make("deploy")

        # THEN the integration exists with exactly the new template and keeps its responses
        assert_inbox_integration_holds(stack, CHANGED_TEMPLATE)
        # AND the next plan has nothing to do
        make("clean-plan")
        # AND POST /inbox still enqueues
        answer = requests.post(stack.inbox_url, json={"id": "template-update", "message": "hi"}, timeout=30)
        assert answer.status_code == 200, answer.text
        assert answer.json()["messageId"]
    finally:
        # WHEN the template changes back (make test's clean plan after the fault suite checks the rest)
        OVERRIDE.unlink(missing_ok=True)
        make("deploy")

    # THEN the integration holds the original template again
    assert_inbox_integration_holds(stack, original_template)
