"""The stacks allow AWS provider 6.x (versions.tf: < 7.0) while the lock pins 5.100.0, the only
provider on this machine. Nothing here can run 6.x, so this guards the claim statically: no
attribute that 6.0 removes (its upgrade guide) may come back into the Terraform we ship."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REPO_ROOT

SHIPPED = ["*.tf", "modules/*/*.tf", "account/*.tf"]

REMOVED_IN_6 = {
    r"\breset_on_delete\b": "aws_api_gateway_account.reset_on_delete (6.0 always resets on delete)",
    r"\bdata\.aws_region\.\w+\.name\b": "data.aws_region's name (6.0: region; id works in 5 and 6)",
    r"\bstage_description\b|\bcanary_settings\b": "the deployment's stage arguments (6.0: aws_api_gateway_stage)",
}


@pytest.mark.parametrize("pattern", REMOVED_IN_6)
def test_no_attribute_provider_6_removes(pattern: str) -> None:
    files = [path for glob in SHIPPED for path in sorted(REPO_ROOT.glob(glob))]
    uses = [
        f"{path.relative_to(REPO_ROOT)}:{number}"
        for path in files
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(pattern, line) and not line.lstrip().startswith("#")
    ]
    assert not uses, f"{REMOVED_IN_6[pattern]} is used at {', '.join(uses)}"
