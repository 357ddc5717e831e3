"""Repair the mapping templates the local cloud stored under escaped keys.

UpdateIntegration's patch paths are JSON Pointers: the provider updates the
`application/json` template with `/requestTemplates/application~1json`. AWS
decodes `~1` to `/`; MiniStack 1.5.33 does not, so it keeps the old template
under `application/json` and stores the new one under the literal key
`application~1json` (docs/fidelity.md). After a local apply this puts each
such integration back whole (PutIntegration, as AWS would have left it) and
its integration responses with it, which the put clears. The Terraform stays
what AWS needs: an in-place update, never a replacement.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import Any

from localcloud.settings import Settings
from localcloud.stale_state import client

# PutIntegration's fields that GetIntegration returns under the same name.
INTEGRATION_FIELDS = (
    "type",
    "uri",
    "connectionType",
    "connectionId",
    "credentials",
    "requestParameters",
    "passthroughBehavior",
    "cacheNamespace",
    "cacheKeyParameters",
    "contentHandling",
    "timeoutInMillis",
)
RESPONSE_FIELDS = ("selectionPattern", "responseParameters", "responseTemplates", "contentHandling")


def decode_pointer_token(token: str) -> str:
    """RFC 6901: `~1` is `/`, `~0` is `~`, decoded in that order."""
    return token.replace("~1", "/").replace("~0", "~")


def repaired_templates(templates: dict[str, str]) -> dict[str, str] | None:
    """The templates as AWS would hold them, or None when nothing is escaped.

    An escaped key holds the newer template (the update wrote it), so it wins
    over the stale one under the decoded key."""
    escaped = {key: value for key, value in templates.items() if "~" in key}
    if not escaped:
        return None
    repaired = {key: value for key, value in templates.items() if key not in escaped}
    repaired.update({decode_pointer_token(key): value for key, value in escaped.items()})
    return repaired


def integrations(apigateway: Any) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(api id, resource id, HTTP method, integration) of every method that has one."""
    for api in apigateway.get_paginator("get_rest_apis").paginate().build_full_result().get("items", []):
        resources = apigateway.get_paginator("get_resources").paginate(restApiId=api["id"], embed=["methods"])
        for resource in resources.build_full_result().get("items", []):
            for method, body in (resource.get("resourceMethods") or {}).items():
                integration = (body or {}).get("methodIntegration")
                if integration:
                    yield api["id"], resource["id"], method, integration


def put_back(apigateway: Any, api_id: str, resource_id: str, method: str, integration: dict[str, Any]) -> None:
    """Put the integration whole with decoded template keys, then its responses."""
    fields = {name: integration[name] for name in INTEGRATION_FIELDS if integration.get(name) not in (None, "")}
    apigateway.put_integration(
        restApiId=api_id,
        resourceId=resource_id,
        httpMethod=method,
        integrationHttpMethod=integration.get("httpMethod", "POST"),
        requestTemplates=repaired_templates(integration["requestTemplates"]),
        **fields,
    )
    for status, response in (integration.get("integrationResponses") or {}).items():
        kept = {name: response[name] for name in RESPONSE_FIELDS if response.get(name) not in (None, "", {})}
        apigateway.put_integration_response(
            restApiId=api_id, resourceId=resource_id, httpMethod=method, statusCode=status, **kept
        )


def repair(apigateway: Any) -> list[str]:
    """Repair every integration with escaped template keys; returns what it repaired."""
    repaired = []
    for api_id, resource_id, method, integration in integrations(apigateway):
        if repaired_templates(integration.get("requestTemplates") or {}) is not None:
            put_back(apigateway, api_id, resource_id, method, integration)
            repaired.append(f"{api_id} {method} {resource_id}")
    return repaired


def run(settings: Settings, args: argparse.Namespace) -> int:
    for where in repair(client("apigateway", settings.endpoint)):
        print(
            f"localcloud: re-put the integration of {where}: the local cloud stored its updated mapping template "
            "under an escaped key (docs/fidelity.md)"
        )
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "repair-templates", help="re-put integrations whose mapping templates the local cloud stored under escaped keys"
    )
    parser.set_defaults(run=run)
