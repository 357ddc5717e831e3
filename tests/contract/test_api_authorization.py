"""API Gateway authorization (REST API): who may call a method.

Checked on the probe stack's guarded APIs: the pipeline's own module
(modules/rest_api) deployed once with AWS_IAM and once with API_KEY. Each
POST /inbox feeds a queue nothing consumes, so a test sees exactly what got
in; GET /outbox proxies to the probe. AWS_IAM callers are IAM users the module
makes and deletes: one granted the module's invoke policy, one granted nothing.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
import requests
from botocore.credentials import Credentials

from tests.contract.probe import ProbeStack
from tests.live.accounting import EITHER, Ledger, reconcile, sweep_queue
from tests.live.pipeline import SignedForExecuteApi, WithApiKey, body_has_id, poll, take_from_queue
from tests.live.stack import api_id_and_stage

pytestmark = pytest.mark.contract

# IAM is eventually consistent: a new user's key or policy may take seconds to be honoured on AWS.
IAM_SETTLE_SECONDS = 60.0
# How long an accepted message may take to show in its queue.
QUEUE_SECONDS = 10.0
ROUTES = [("POST", "/inbox"), ("GET", "/outbox")]
MISSING_TOKEN = {"message": "Missing Authentication Token"}
FORBIDDEN = {"message": "Forbidden"}
BAD_SIGNATURE = {
    "message": "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
}
INBOX_PLACE = "guarded API's queue"


@dataclass(frozen=True)
class GuardedApi:
    api_url: str
    inbox_queue_url: str
    invoke_policy_arn: str | None

    def route_arn(self, account: str, region: str, method: str, path: str) -> str:
        """arn:aws:execute-api:<region>:<account>:<api id>/<stage>/<METHOD><path>."""
        api_id, stage = api_id_and_stage(self.api_url)
        return f"arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/{method}{path}"


@dataclass(frozen=True)
class Caller:
    arn: str
    credentials: Credentials = field(repr=False)


@dataclass
class IamUsers:
    """IAM users with an access key each; delete_all removes exactly those."""

    iam: Any
    prefix: str
    made: list[tuple[str, str, str | None]] = field(default_factory=list)

    def create(self, policy_arn: str | None) -> Caller:
        name = f"{self.prefix}caller-{uuid.uuid4().hex[:8]}"
        arn = self.iam.create_user(UserName=name)["User"]["Arn"]
        key = self.iam.create_access_key(UserName=name)["AccessKey"]
        self.made.append((name, key["AccessKeyId"], policy_arn))
        if policy_arn is not None:
            self.iam.attach_user_policy(UserName=name, PolicyArn=policy_arn)
        return Caller(arn, Credentials(key["AccessKeyId"], key["SecretAccessKey"]))

    def delete_all(self) -> None:
        for name, key_id, policy_arn in self.made:
            with contextlib.suppress(self.iam.exceptions.NoSuchEntityException):
                if policy_arn is not None:
                    self.iam.detach_user_policy(UserName=name, PolicyArn=policy_arn)
                self.iam.delete_access_key(UserName=name, AccessKeyId=key_id)
                self.iam.delete_user(UserName=name)


def guarded(probe: ProbeStack, mode: str) -> GuardedApi:
    api = probe.guarded_apis[mode]
    return GuardedApi(str(api["api_url"]), str(api["inbox_queue_url"]), api["invoke_policy_arn"])


@pytest.fixture(scope="module")
def iam_api(probe: ProbeStack) -> GuardedApi:
    return guarded(probe, "AWS_IAM")


@pytest.fixture(scope="module")
def key_api(probe: ProbeStack) -> GuardedApi:
    return guarded(probe, "API_KEY")


@pytest.fixture(scope="module")
def users(probe: ProbeStack) -> Iterator[IamUsers]:
    made = IamUsers(boto3.client("iam", region_name=probe.region), probe.test_queue_prefix)
    yield made
    made.delete_all()


@pytest.fixture(scope="module")
def permitted(users: IamUsers, iam_api: GuardedApi) -> Caller:
    assert iam_api.invoke_policy_arn, "the AWS_IAM API has no invoke policy"
    return users.create(iam_api.invoke_policy_arn)


@pytest.fixture(scope="module")
def unpermitted(users: IamUsers) -> Caller:
    return users.create(None)


@pytest.fixture(scope="module")
def account(probe: ProbeStack) -> str:
    return boto3.client("sts", region_name=probe.region).get_caller_identity()["Account"]


def call(
    api: GuardedApi, method: str, path: str, auth: requests.auth.AuthBase | None = None, tracked_id: str = "x"
) -> requests.Response:
    """One request as a client sends it: POST /inbox with a JSON message, GET /outbox with an id."""
    if method == "POST":
        body = {"id": tracked_id, "message": "authorization contract"}
        return requests.post(api.api_url + path, json=body, auth=auth, timeout=30)
    return requests.get(api.api_url + path, params={"id": tracked_id}, auth=auth, timeout=30)


def settled(send: Callable[[], requests.Response], done: Callable[[requests.Response], bool]) -> requests.Response:
    """Send until IAM has caught up with a new user (done holds) or its settling time ends; the last answer."""
    answers: list[requests.Response] = []

    def attempt() -> bool:
        answers.append(send())
        return done(answers[-1])

    poll(attempt, IAM_SETTLE_SECONDS)
    return answers[-1]


def answer(response: requests.Response) -> tuple[int, Any]:
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, response.text


def assert_enqueued(sqs: Any, api: GuardedApi, posted: requests.Response, tracked_id: str) -> None:
    """The POST was accepted, and its message waits in the API's queue under the message id it answered."""
    assert posted.status_code == 200, posted.text
    arrived = take_from_queue(sqs, api.inbox_queue_url, body_has_id(tracked_id), QUEUE_SECONDS)
    assert arrived is not None, f"{tracked_id} not in the queue within {QUEUE_SECONDS} s"
    assert arrived["MessageId"] == posted.json()["messageId"]


def denied_by_policy(response: requests.Response) -> bool:
    return response.headers.get("x-amzn-ErrorType", "").startswith("AccessDeniedException")


# ---------------------------------------------------------------- AWS_IAM


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_an_unsigned_request_to_an_aws_iam_method_is_403_missing_authentication_token(
    iam_api: GuardedApi, method: str, path: str
) -> None:
    """An unsigned request to an AWS_IAM method answers 403 {"message": "Missing Authentication Token"}.

    AWS: a request without SigV4 authentication to a method with AWS_IAM authorization is the
    MISSING_AUTHENTICATION_TOKEN gateway response, 403 {"message":"Missing Authentication Token"}.
    """
    assert answer(call(iam_api, method, path)) == (403, MISSING_TOKEN)


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_signature_of_a_caller_without_execute_api_invoke_is_403_access_denied(
    iam_api: GuardedApi, unpermitted: Caller, probe: ProbeStack, method: str, path: str
) -> None:
    """A valid signature of a principal no policy allows execute-api:Invoke answers 403 AccessDeniedException.

    AWS: IAM authorization evaluates the caller's policies for execute-api:Invoke on the method's ARN; an implicit
    deny is a 403 with x-amzn-ErrorType AccessDeniedException.
    """
    auth = SignedForExecuteApi(unpermitted.credentials, probe.region)

    response = settled(lambda: call(iam_api, method, path, auth), denied_by_policy)

    assert response.status_code == 403, response.text
    assert denied_by_policy(response), response.headers


@pytest.mark.local_differs
def test_the_access_denied_body_names_the_caller_and_the_route(
    iam_api: GuardedApi, unpermitted: Caller, probe: ProbeStack, account: str
) -> None:
    """The AccessDeniedException body names the caller and the method's ARN, under "Message".

    AWS: {"Message": "User: <caller ARN> is not authorized to perform: execute-api:Invoke on resource: <method
    ARN>"} for a caller no policy allows.

    Local cloud: the body is {"__type": "AccessDeniedException", "message": "User: <caller ARN> is not authorized to
    perform: execute-api:Invoke because no identity-based policy allows the execute-api:Invoke action"}: lowercase
    message, no resource (ministack/core/iam_actions.py:2341)

    Handling: clients and the suites rely on the 403 and x-amzn-ErrorType, not on the text
    """
    auth = SignedForExecuteApi(unpermitted.credentials, probe.region)

    response = settled(lambda: call(iam_api, "POST", "/inbox", auth), denied_by_policy)

    route = iam_api.route_arn(account, probe.region, "POST", "/inbox")
    message = f"User: {unpermitted.arn} is not authorized to perform: execute-api:Invoke on resource: {route}"
    assert answer(response) == (403, {"Message": message})


def test_a_wrong_secret_key_is_403_invalid_signature(iam_api: GuardedApi, permitted: Caller, probe: ProbeStack) -> None:
    """A request signed with a real access key id and a wrong secret answers 403 with the signature mismatch message.

    AWS: a SigV4 signature that does not verify is the INVALID_SIGNATURE gateway response, 403 {"message": "The
    request signature we calculated does not match the signature you provided. ..."}.
    """
    forged = Credentials(permitted.credentials.access_key, "not-" + permitted.credentials.secret_key)
    auth = SignedForExecuteApi(forged, probe.region)

    response = settled(lambda: call(iam_api, "GET", "/outbox", auth), lambda r: "signature" in r.text)

    assert answer(response) == (403, BAD_SIGNATURE)


def test_a_permitted_caller_gets_through_both_routes(
    iam_api: GuardedApi, permitted: Caller, probe: ProbeStack, sqs: Any
) -> None:
    """A caller granted the module's invoke policy posts to the queue and reaches the function behind GET /outbox.

    AWS: a valid signature of a principal whose policy allows execute-api:Invoke on the method's ARN passes
    authorization; the integration runs as with NONE.
    """
    auth = SignedForExecuteApi(permitted.credentials, probe.region)
    tracked_id = f"iam-{uuid.uuid4().hex}"

    posted = settled(lambda: call(iam_api, "POST", "/inbox", auth, tracked_id), lambda r: r.status_code == 200)
    fetched = call(iam_api, "GET", "/outbox", auth)

    assert_enqueued(sqs, iam_api, posted, tracked_id)
    assert fetched.status_code == 200, fetched.text
    assert fetched.json()["event"]["httpMethod"] == "GET"


# ---------------------------------------------------------------- API_KEY


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("key", [None, "wrong-key-of-twenty-characters"], ids=["no-key", "wrong-key"])
def test_a_request_without_a_valid_api_key_is_403_forbidden(
    key_api: GuardedApi, method: str, path: str, key: str | None
) -> None:
    """A request to an apiKeyRequired method without a key, or with a key no usage plan of the stage holds, answers
    403 {"message": "Forbidden"}.

    AWS: a missing or unknown x-api-key is the INVALID_API_KEY gateway response, 403 {"message":"Forbidden"}.
    """
    auth = None if key is None else WithApiKey(key)

    assert answer(call(key_api, method, path, auth)) == (403, FORBIDDEN)


def test_the_api_key_gets_through_both_routes(key_api: GuardedApi, probe: ProbeStack, sqs: Any) -> None:
    """The key of the usage plan bound to the stage posts to the queue and reaches the function behind GET /outbox.

    AWS: a key in x-api-key that belongs to a usage plan of the stage passes; the integration runs as with NONE.
    """
    auth = WithApiKey(probe.guarded_api_key)
    tracked_id = f"key-{uuid.uuid4().hex}"

    posted = call(key_api, "POST", "/inbox", auth, tracked_id)
    fetched = call(key_api, "GET", "/outbox", auth)

    assert_enqueued(sqs, key_api, posted, tracked_id)
    assert fetched.status_code == 200, fetched.text
    assert fetched.json()["event"]["httpMethod"] == "GET"


# ---------------------------------------------------------------- both


@pytest.mark.parametrize("mode", ["AWS_IAM", "API_KEY"])
def test_refused_requests_enqueue_nothing(
    request: pytest.FixtureRequest, probe: ProbeStack, sqs: Any, mode: str
) -> None:
    """A POST /inbox the authorization refuses never reaches the integration: nothing is enqueued.

    AWS: authorization and API key checks run before the integration request; a refused request makes no
    integration call.
    """
    # GIVEN every refusal of the mode, and a permitted caller, each posting a tracked id
    api = guarded(probe, mode)
    if mode == "AWS_IAM":
        permitted: Caller = request.getfixturevalue("permitted")
        unpermitted: Caller = request.getfixturevalue("unpermitted")
        forged = Credentials(permitted.credentials.access_key, "not-" + permitted.credentials.secret_key)
        refused = [None, SignedForExecuteApi(unpermitted.credentials, probe.region)]
        refused.append(SignedForExecuteApi(forged, probe.region))
        allowed: requests.auth.AuthBase = SignedForExecuteApi(permitted.credentials, probe.region)
    else:
        refused = [None, WithApiKey("wrong-key-of-twenty-characters")]
        allowed = WithApiKey(probe.guarded_api_key)
    ledger = Ledger(f"refused-{mode.lower()}")
    # WHEN the refused ones are posted, then the permitted one (once IAM has caught up with a new user)
    for auth in refused:
        tracked_id = ledger.new_id()
        response = call(api, "POST", "/inbox", auth, tracked_id)
        ledger.record(tracked_id, response.status_code, None, EITHER)
    accepted_id = ledger.new_id()
    posted = settled(lambda: call(api, "POST", "/inbox", allowed, accepted_id), lambda r: r.status_code == 200)
    ledger.record(accepted_id, posted.status_code, posted.json(), EITHER)
    # THEN each refusal was a 403
    assert set(ledger.rejected.values()) == {403}, ledger.rejected
    # AND once the permitted message is in the queue, it is the only one of the ledger there
    sightings = []
    poll(
        lambda: sightings.extend(sweep_queue(sqs, (ledger,), INBOX_PLACE, api.inbox_queue_url)) or sightings,
        QUEUE_SECONDS,
    )
    sightings.extend(sweep_queue(sqs, (ledger,), INBOX_PLACE, api.inbox_queue_url))
    reconcile(ledger, sightings, f"refused {mode} requests").assert_kept()
