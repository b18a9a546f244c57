"""The local APNs server refuses what Apple refuses, so passing tests mean something."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from stadtbote.delivery.channels.apns.token import sign_provider_token
from tests.support.apns_server import ApnsServer

from .conftest import KEY_ID, START, TEAM_ID, TOPIC, Clock, device, fixed_key


@pytest.fixture
def client(apns_server: ApnsServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        http2=True, verify=apns_server.client_ssl_context(), base_url=apns_server.url
    ) as client:
        yield client


TOKEN = sign_provider_token(fixed_key(), TEAM_ID, KEY_ID, int(START))


def _headers(**changes: str) -> dict[str, str]:
    headers = {
        "authorization": f"bearer {TOKEN}",
        "apns-topic": TOPIC,
        "apns-push-type": "alert",
        "apns-priority": "10",
    }
    headers.update(changes)
    return {k: v for k, v in headers.items() if v}


def _post(client: httpx.Client, body: object = None, **headers: str) -> tuple[int, str]:
    content = json.dumps({"aps": {"alert": "x"}} if body is None else body).encode()
    response = client.post(f"/3/device/{device(1)}", content=content, headers=_headers(**headers))
    assert response.http_version == "HTTP/2"
    return response.status_code, response.json()["reason"] if response.content else ""


def test_a_valid_request_is_accepted(client: httpx.Client, apns_server: ApnsServer) -> None:
    assert _post(client) == (200, "")
    assert apns_server.received[0].payload == {"aps": {"alert": "x"}}


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"authorization": ""}, (403, "MissingProviderToken")),
        ({"authorization": "bearer a.b.c"}, (403, "InvalidProviderToken")),
        ({"apns-topic": ""}, (400, "MissingTopic")),
        ({"apns-push-type": "banner"}, (400, "InvalidPushType")),
        ({"apns-priority": "7"}, (400, "BadPriority")),
        ({"apns-collapse-id": "c" * 65}, (400, "BadCollapseId")),
        ({"apns-expiration": "tomorrow"}, (400, "BadExpirationDate")),
        ({"apns-id": "not-a-uuid"}, (400, "BadMessageId")),
    ],
)
def test_requests_apple_would_refuse_are_refused(
    client: httpx.Client, headers: dict[str, str], expected: tuple[int, str]
) -> None:
    assert _post(client, **headers) == expected


def test_payloads_apple_would_refuse_are_refused(client: httpx.Client) -> None:
    assert _post(client, body={"no": "aps"}) == (400, "BadPayload")
    assert _post(client, body={"aps": {}, "pad": "x" * 5000}) == (413, "PayloadTooLarge")


def test_a_token_older_than_an_hour_is_expired(client: httpx.Client, clock: Clock) -> None:
    clock.advance(3601)
    assert _post(client) == (403, "ExpiredProviderToken")


def test_a_new_token_within_twenty_minutes_is_too_many_updates(
    client: httpx.Client, clock: Clock
) -> None:
    assert _post(client)[0] == 200
    newer = sign_provider_token(fixed_key(), TEAM_ID, KEY_ID, int(START) + 60)
    assert _post(client, authorization=f"bearer {newer}") == (429, "TooManyProviderTokenUpdates")


def test_http_1_is_not_spoken(apns_server: ApnsServer) -> None:
    with (
        httpx.Client(http1=True, http2=False, verify=apns_server.client_ssl_context()) as http1,
        pytest.raises(httpx.HTTPError),
    ):
        http1.post(f"{apns_server.url}/3/device/{device(1)}", content=b"{}")
