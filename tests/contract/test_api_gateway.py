"""API Gateway (REST API).

The gateway's own answers are checked on the pipeline's API (POST /inbox has a
request validator and an SQS integration that accepts JSON only); Lambda proxy
behaviour on the probe's API, which proxies every path to the probe.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.contract.probe import ProbeStack
from tests.live.pipeline import caller_auth
from tests.live.stack import Stack

pytestmark = pytest.mark.contract

# API Gateway's payload limit is 10 MB; comfortably over it.
OVERSIZE_BYTES = 10 * 1024 * 1024 + 1024
PROXY_FAILURE = {"message": "Internal server error"}


@pytest.fixture(scope="module")
def http(stack: Stack) -> Iterator[requests.Session]:
    """Signs or sends the key as the pipeline's api_authorization asks; the probe's open API ignores both."""
    with requests.Session() as session:
        session.auth = caller_auth(stack)
        yield session


@pytest.fixture(scope="module")
def proxied(http: requests.Session, probe: ProbeStack) -> dict[str, Any]:
    """The event the probe received for POST /echo/items/42?tag=a&tag=b with a JSON body and a custom header."""
    response = http.post(
        f"{probe.probe_api_url}/echo/items/42",
        params=[("tag", "a"), ("tag", "b")],
        data=json.dumps({"probe": "echo"}),
        headers={"Content-Type": "application/json", "X-Probe-Header": "Probe-Value"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()["event"]


def post_to_probe(http: requests.Session, probe: ProbeStack, command: dict[str, Any]) -> requests.Response:
    return http.post(f"{probe.probe_api_url}/anything", data=json.dumps(command), timeout=30)


@pytest.mark.parametrize(("method", "path"), [("GET", "/nowhere"), ("DELETE", "/inbox")])
def test_an_unknown_route_or_method_is_403_missing_authentication_token(
    http: requests.Session, stack: Stack, method: str, path: str
) -> None:
    """A path or method the API does not define answers 403 {"message": "Missing Authentication Token"}.

    AWS: a REST API answers requests to undefined resources or methods with the MISSING_AUTHENTICATION_TOKEN
    gateway response, 403 {"message":"Missing Authentication Token"}.
    """
    response = http.request(method, stack.api_url + path, timeout=30)

    assert (response.status_code, response.json()) == (403, {"message": "Missing Authentication Token"})


def test_a_body_breaking_the_model_is_400_invalid_request_body(http: requests.Session, stack: Stack) -> None:
    """A body the request validator rejects answers 400 {"message": "Invalid request body"}.

    AWS: a failed body validation is the BAD_REQUEST_BODY gateway response, 400 {"message": "Invalid request
    body"}; the integration is not called.
    """
    response = http.post(stack.inbox_url, json={"message": 42}, timeout=30)

    assert (response.status_code, response.json()) == (400, {"message": "Invalid request body"})


def test_a_content_type_without_a_template_is_415(http: requests.Session, stack: Stack) -> None:
    """With passthrough NEVER, a content type no mapping template matches answers 415 Unsupported Media Type.

    AWS: passthroughBehavior NEVER rejects unmapped content types with the UNSUPPORTED_MEDIA_TYPE gateway response,
    415 {"message": "Unsupported Media Type"}.
    """
    response = http.post(stack.inbox_url, data='{"message": "x"}', headers={"Content-Type": "text/plain"}, timeout=30)

    assert (response.status_code, response.json()) == (415, {"message": "Unsupported Media Type"})


@pytest.mark.local_differs
def test_the_json_model_does_not_judge_other_content_types(http: requests.Session, stack: Stack) -> None:
    """A text/plain body that is not JSON is not validated against the application/json model: 415, not 400.

    AWS: request models apply per content type; with no model for text/plain the body is not validated, and
    passthrough NEVER answers 415 {"message": "Unsupported Media Type"}.

    Local cloud: the validator falls back to the application/json model for any content type, so a text/plain body
    that is not JSON gets 400 Invalid request body (ministack/services/apigateway_v1.py:2514)

    Handling: clients send application/json; either answer is a 4xx and nothing is enqueued
    """
    response = http.post(stack.inbox_url, data="plain words", headers={"Content-Type": "text/plain"}, timeout=30)

    assert (response.status_code, response.json()) == (415, {"message": "Unsupported Media Type"})


@pytest.mark.local_differs
def test_a_body_over_10_mb_is_413(http: requests.Session, stack: Stack) -> None:
    """A request body over 10 MB answers 413 {"message": "Request Too Long"}.

    AWS: the REST API payload limit is 10 MB; a larger request is the REQUEST_TOO_LARGE gateway response, 413.

    Local cloud: there is no payload limit: the body reaches the integration, here SQS, which refuses it (our 400)

    Handling: bodies over the queues' 256 KiB are refused either way: SQS's limit, mapped to a 400 by the integration
    responses
    """
    body = json.dumps({"message": "x" * OVERSIZE_BYTES})

    response = http.post(stack.inbox_url, data=body, headers={"Content-Type": "application/json"}, timeout=120)

    assert (response.status_code, response.json()) == (413, {"message": "Request Too Long"})


@pytest.mark.local_differs
@pytest.mark.parametrize(
    "answer",
    [
        pytest.param({"body": "no status code"}, id="no-status-code"),
        pytest.param({"statusCode": 200, "body": {"not": "a string"}}, id="body-not-a-string"),
        pytest.param("not an object", id="not-an-object"),
        pytest.param(None, id="null"),
    ],
)
def test_a_malformed_proxy_answer_is_502_internal_server_error(
    http: requests.Session, probe: ProbeStack, answer: Any
) -> None:
    """A Lambda proxy answer that is not {statusCode, headers, body: string} answers 502 Internal server error.

    AWS: a malformed Lambda proxy response fails the integration: 502 {"message": "Internal server error"}.

    Local cloud: an answer that is not a valid proxy response is passed on as a 200 (no statusCode, not an object,
    null) or serialized (a body that is not a string) (ministack/services/lambda_svc.py:5266)

    Handling: check_output_queue always answers statusCode, headers and a string body (unit-tested)
    """
    response = post_to_probe(http, probe, {"probe": "return", "value": answer})

    assert (response.status_code, response.json()) == (502, PROXY_FAILURE)


@pytest.mark.local_differs
def test_a_proxy_function_error_is_502_internal_server_error(http: requests.Session, probe: ProbeStack) -> None:
    """A Lambda proxy function that raises answers 502 {"message": "Internal server error"}, hiding the error.

    AWS: an unhandled function error behind a proxy integration is a 502 with the fixed message; the error is only
    in the logs.

    Local cloud: the 502 carries the function's error document in message, not 'Internal server error'
    (ministack/services/apigateway_v1.py:2856)

    Handling: check_output_queue catches its errors and answers a JSON 500 itself
    """
    response = post_to_probe(http, probe, {"probe": "raise", "message": "secret detail"})

    assert (response.status_code, response.json()) == (502, PROXY_FAILURE)


@pytest.mark.local_differs
def test_the_proxy_event_has_the_rest_api_fields(proxied: dict[str, Any]) -> None:
    """The proxy event has exactly the REST API's top-level fields.

    AWS: resource, path, httpMethod, headers, multiValueHeaders, queryStringParameters,
    multiValueQueryStringParameters, pathParameters, stageVariables, requestContext, body, isBase64Encoded.

    Local cloud: the event has an extra version: '1.0' (the HTTP API's payload marker)
    (ministack/services/apigateway_v1.py:2767)

    Handling: check_output_queue reads queryStringParameters only
    """
    assert set(proxied) == {
        "resource",
        "path",
        "httpMethod",
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "requestContext",
        "body",
        "isBase64Encoded",
    }


@pytest.mark.local_differs
def test_the_proxy_events_request_context_has_the_documented_fields(proxied: dict[str, Any]) -> None:
    """requestContext and its identity carry the documented fields, null when they do not apply.

    AWS: requestContext has accountId, apiId, domainName, domainPrefix, extendedRequestId, httpMethod, identity,
    path, protocol, requestId, requestTime, requestTimeEpoch, resourceId, resourcePath, stage; identity has
    sourceIp, userAgent and the caller, user and Cognito fields (null without an authorizer).

    Local cloud: requestContext lacks domainName and domainPrefix, and identity only has sourceIp and userAgent
    (ministack/services/apigateway_v1.py:2777)

    Handling: check_output_queue reads queryStringParameters only
    """
    context = proxied["requestContext"]

    assert set(context) >= {
        "accountId",
        "apiId",
        "domainName",
        "domainPrefix",
        "extendedRequestId",
        "httpMethod",
        "identity",
        "path",
        "protocol",
        "requestId",
        "requestTime",
        "requestTimeEpoch",
        "resourceId",
        "resourcePath",
        "stage",
    }
    assert set(context["identity"]) >= {
        "accessKey",
        "accountId",
        "caller",
        "cognitoAuthenticationProvider",
        "cognitoAuthenticationType",
        "cognitoIdentityId",
        "cognitoIdentityPoolId",
        "sourceIp",
        "user",
        "userAgent",
        "userArn",
    }


def test_the_proxy_event_describes_the_route_and_the_request(proxied: dict[str, Any], probe: ProbeStack) -> None:
    """The proxy event names the matched resource, the path, its parameters, the stage and the body as sent.

    AWS: resource is the matched resource ("/{proxy+}"), path the request path, pathParameters.proxy the greedy
    match, requestContext.path the stage-prefixed path, body the raw body string, isBase64Encoded false for text.
    """
    stage = probe.probe_api_url.rstrip("/").rsplit("/", 1)[1]

    assert (proxied["resource"], proxied["path"], proxied["httpMethod"]) == ("/{proxy+}", "/echo/items/42", "POST")
    assert proxied["pathParameters"] == {"proxy": "echo/items/42"}
    assert (proxied["requestContext"]["stage"], proxied["requestContext"]["path"]) == (
        stage,
        f"/{stage}/echo/items/42",
    )
    assert proxied["requestContext"]["resourcePath"] == "/{proxy+}"
    assert (json.loads(proxied["body"]), proxied["isBase64Encoded"]) == ({"probe": "echo"}, False)
    assert proxied["multiValueQueryStringParameters"] == {"tag": ["a", "b"]}


@pytest.mark.local_differs
def test_a_repeated_query_key_gives_its_last_value(proxied: dict[str, Any]) -> None:
    """queryStringParameters holds the last value of a repeated key; multiValueQueryStringParameters holds all.

    AWS: in the REST API's proxy event a repeated query key appears with its last value in queryStringParameters.

    Local cloud: queryStringParameters takes the first value of a repeated key
    (ministack/services/apigateway_v1.py:2744)

    Handling: GET /outbox takes one id; a client repeating it gets the first on the local cloud, the last on AWS
    """
    assert proxied["queryStringParameters"] == {"tag": "b"}


@pytest.mark.local_differs
def test_header_names_arrive_as_the_client_sent_them(proxied: dict[str, Any]) -> None:
    """Request header names reach the function with the client's capitalisation.

    AWS: the REST API passes header names as received (an HTTP API lowercases them).

    Local cloud: every request's header names are lowercased on arrival (ministack/app.py:3322)

    Handling: our functions read no headers; look headers up case-insensitively
    """
    assert proxied["headers"].get("X-Probe-Header") == "Probe-Value"
    assert proxied["multiValueHeaders"].get("X-Probe-Header") == ["Probe-Value"]
