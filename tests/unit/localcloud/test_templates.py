"""The repair of mapping templates the local cloud stored under escaped keys, against moto."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from localcloud.templates import repair, repaired_templates

OLD = "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"
NEW = "Action=SendMessage&DelaySeconds=0&MessageBody=$util.urlEncode($input.body)"


def test_the_escaped_key_holds_the_newer_template_and_wins() -> None:
    assert repaired_templates({"application/json": OLD, "application~1json": NEW}) == {"application/json": NEW}


def test_tilde_is_decoded_after_slash() -> None:
    assert repaired_templates({"a~01b": "x"}) == {"a~1b": "x"}


def test_templates_without_escapes_need_nothing() -> None:
    assert repaired_templates({"application/json": OLD}) is None


@pytest.fixture
def apigateway() -> Any:
    return boto3.client("apigateway")


def sqs_method(apigateway: Any, templates: dict[str, str]) -> tuple[str, str]:
    api = apigateway.create_rest_api(name="pipeline")["id"]
    root = apigateway.get_resources(restApiId=api)["items"][0]["id"]
    inbox = apigateway.create_resource(restApiId=api, parentId=root, pathPart="inbox")["id"]
    apigateway.put_method(restApiId=api, resourceId=inbox, httpMethod="POST", authorizationType="NONE")
    apigateway.put_integration(
        restApiId=api,
        resourceId=inbox,
        httpMethod="POST",
        type="AWS",
        integrationHttpMethod="POST",
        uri="arn:aws:apigateway:us-east-1:sqs:path/123456789012/pipeline-input",
        passthroughBehavior="NEVER",
        requestTemplates=templates,
    )
    apigateway.put_method_response(restApiId=api, resourceId=inbox, httpMethod="POST", statusCode="400")
    apigateway.put_integration_response(
        restApiId=api,
        resourceId=inbox,
        httpMethod="POST",
        statusCode="400",
        selectionPattern="4\\d{2}",
        responseTemplates={"application/json": '{"message": "rejected"}'},
    )
    return api, inbox


def test_repair_re_puts_the_integration_with_its_responses(apigateway: Any) -> None:
    # GIVEN an integration as the local cloud leaves it after an in-place template update
    api, inbox = sqs_method(apigateway, {"application/json": OLD, "application~1json": NEW})

    # WHEN it is repaired
    repaired = repair(apigateway)

    # THEN it holds the new template under the content type, and keeps the rest
    integration = apigateway.get_integration(restApiId=api, resourceId=inbox, httpMethod="POST")
    assert repaired == [f"{api} POST {inbox}"]
    assert integration["requestTemplates"] == {"application/json": NEW}
    assert integration["passthroughBehavior"] == "NEVER"
    response = apigateway.get_integration_response(restApiId=api, resourceId=inbox, httpMethod="POST", statusCode="400")
    assert response["selectionPattern"] == "4\\d{2}"
    assert response["responseTemplates"] == {"application/json": '{"message": "rejected"}'}


def test_repair_leaves_sound_integrations_alone(apigateway: Any) -> None:
    sqs_method(apigateway, {"application/json": OLD})

    assert repair(apigateway) == []
