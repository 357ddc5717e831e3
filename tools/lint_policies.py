"""Lint every IAM policy the stacks render with parliament, offline.

The policies come from `terraform test -json -verbose` over
tests/terraform/policies.tftest.hcl: the pipeline applied and the account
stack planned against a mocked provider, so each document is what Terraform
would send to AWS, with its ARNs. Any finding fails, except the allowed ones
below, each with its reason. Runs in parliament's own virtualenv (make lint).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parliament import analyze_policy_string

# Resource attributes that hold a policy document.
POLICY_ATTRIBUTES = ("policy", "assume_role_policy")


@dataclass(frozen=True)
class Allowed:
    """A finding parliament reports that is not a fault, where it is not one."""

    issue: str
    attribute: str
    detail: str
    reason: str


ALLOWED = (
    Allowed(
        issue="MALFORMED",
        attribute="assume_role_policy",
        detail="Statement contains neither Resource nor NotResource",
        reason="a trust policy names no Resource: the role it belongs to is the resource (IAM rejects one that does)",
    ),
)


@dataclass(frozen=True)
class Policy:
    address: str
    attribute: str
    document: str


def resources(node: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """(address, values) of every resource in a state's or plan's JSON (values, or a change's after)."""
    if isinstance(node, dict):
        if isinstance(node.get("address"), str):
            values = node.get("values") or (node.get("change") or {}).get("after")
            if isinstance(values, dict):
                yield node["address"], values
        for child in node.values():
            yield from resources(child)
    elif isinstance(node, list):
        for child in node:
            yield from resources(child)


def rendered_policies(test_output: Path) -> list[Policy]:
    """The distinct policy documents in the states and plans of terraform test's JSON lines."""
    found: dict[tuple[str, str], Policy] = {}
    for line in test_output.read_text().splitlines():
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        for kind in ("test_state", "test_plan"):
            for address, values in resources(message.get(kind)):
                for attribute in POLICY_ATTRIBUTES:
                    document = values.get(attribute)
                    if isinstance(document, str) and '"Statement"' in document:
                        found[(address, attribute)] = Policy(address, attribute, document)
    return list(found.values())


def allowed(policy: Policy, issue: str, detail: Any) -> Allowed | None:
    return next(
        (a for a in ALLOWED if a.issue == issue and a.attribute == policy.attribute and a.detail == detail), None
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.lint_policies", description=__doc__)
    parser.add_argument("test_output", type=Path, help="terraform test -json -verbose output of policies.tftest.hcl")
    args = parser.parse_args(argv)
    policies = rendered_policies(args.test_output)
    if not policies:
        print(f"error: no IAM policy found in {args.test_output} (did terraform test run with -json -verbose?)")
        return 1
    faults, excused = [], 0
    for policy in sorted(policies, key=lambda p: (p.address, p.attribute)):
        for finding in analyze_policy_string(policy.document).findings:
            if allowed(policy, finding.issue, finding.detail):
                excused += 1
            else:
                faults.append(f"{policy.address} {policy.attribute}: {finding.issue} {finding.detail}")
    for fault in faults:
        print(f"error: {fault}")
    print(
        f"parliament: {len(policies)} policies, {len(faults)} findings"
        f" ({excused} allowed: {'; '.join(a.reason for a in ALLOWED)})"
    )
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
