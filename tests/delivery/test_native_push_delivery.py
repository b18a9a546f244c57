"""Native app push end to end: an app registers its token, a message reaches it through the
town's FCM or APNs credentials from the environment, and a dead token is forgotten."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from stadtbote.delivery import receipts
from stadtbote.delivery.channels.apns import clear_token_cache as clear_apns_tokens
from stadtbote.delivery.channels.fcm import clear_token_cache as clear_fcm_tokens
from stadtbote.delivery.models import Delivery, Status
from stadtbote.subscribers.models import Channel
from tests.conftest import ALTSTADT, point_place
from tests.delivery.channels.apns.conftest import KEY_ID, TEAM_ID, TOPIC, fixed_key, p8_pem
from tests.support.apns_server import ApnsServer
from tests.support.fcm_keys import service_account
from tests.support.fcm_server import FcmServer
from tests.support.tasks import drain

pytestmark = pytest.mark.django_db(transaction=True)

PROJECT = "musterstadt-app"
WARNING = {
    "title": {"de": "Unwetterwarnung", "en": "Severe weather warning"},
    "body": {"de": "Orkanböen ab 18 Uhr.", "en": "Hurricane-force gusts from 6 pm."},
    "severity": "severe",
    "area": None,
}
FCM_TOKEN = "dev0001:APA91b-musterstadt-phone-0001"
APNS_TOKEN = "ab" * 32


@pytest.fixture
def fcm(monkeypatch: pytest.MonkeyPatch) -> Iterator[FcmServer]:
    clear_fcm_tokens()
    account = service_account(20261127, PROJECT)
    with FcmServer(PROJECT) as server:
        server.add_account(account)
        # The town's own app: variables with its slug, as an operator sets them.
        monkeypatch.setenv("STADTBOTE_FCM_MUSTERSTADT_PROJECT_ID", PROJECT)
        monkeypatch.setenv("STADTBOTE_FCM_MUSTERSTADT_CREDENTIALS", json.dumps(account))
        monkeypatch.setenv("STADTBOTE_FCM_MUSTERSTADT_ENDPOINT", server.url)
        monkeypatch.setenv("STADTBOTE_FCM_MUSTERSTADT_TOKEN_URL", server.token_url)
        yield server
    clear_fcm_tokens()


@pytest.fixture
def apns(monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[ApnsServer]:
    clear_apns_tokens()
    key_file = tmp_path / f"AuthKey_{KEY_ID}.p8"
    key_file.write_text(p8_pem())
    with ApnsServer(
        fixed_key().public_key(), team_id=TEAM_ID, key_id=KEY_ID, topic=TOPIC
    ) as server:
        # The county's shared app: variables without a slug, the key as a mounted file.
        monkeypatch.setenv("STADTBOTE_APNS_TEAM_ID", TEAM_ID)
        monkeypatch.setenv("STADTBOTE_APNS_KEY_ID", KEY_ID)
        monkeypatch.setenv("STADTBOTE_APNS_KEY_FILE", str(key_file))
        monkeypatch.setenv("STADTBOTE_APNS_TOPIC", TOPIC)
        monkeypatch.setenv("STADTBOTE_APNS_ENDPOINT", server.url)
        monkeypatch.setenv("STADTBOTE_APNS_CA_FILE", server.ca_file)
        yield server
    clear_apns_tokens()


def subscribe_app(api, kind: str, token: str, **extra):
    body = {"places": [point_place(ALTSTADT)], "channels": [{"type": kind, "token": token}]}
    response = api.post("musterstadt/subscribers", {**body, **extra})
    assert response.status_code == 201, response.json()
    return response.json()


def publish(api, staff_token, body=WARNING):
    response = api.post("musterstadt/messages", body, token=staff_token)
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def test_an_android_app_token_is_confirmed_at_once_and_gets_a_severe_warning_with_high_priority(
    api, tenant, staff_token, fcm
):
    created = subscribe_app(api, "fcm", FCM_TOKEN)
    assert created["channels"] == [{"type": "fcm", "status": "confirmed"}]

    message_id = publish(api, staff_token)
    drain()

    assert fcm.settle()
    [got] = fcm.received_for(FCM_TOKEN)
    assert got.message["android"]["priority"] == "HIGH"
    assert got.message["data"]["message_id"] == message_id
    assert receipts.parse(got.message["data"]["receipt"]) == Delivery.objects.get().pk
    assert Delivery.objects.get(channel_type="fcm").status == Status.SENT


def test_an_iphone_gets_the_warning_time_sensitive_through_the_shared_county_app(
    api, tenant, staff_token, apns
):
    subscribe_app(api, "apns", APNS_TOKEN.upper(), language="en")

    publish(api, staff_token)
    drain()

    [got] = apns.received_for(APNS_TOKEN)
    assert got.headers["apns-push-type"] == "alert"
    assert got.payload["aps"]["interruption-level"] == "time-sensitive"
    assert got.payload["aps"]["alert"]["title"].endswith("Severe weather warning")
    assert receipts.parse(got.payload["receipt"]) == Delivery.objects.get().pk
    assert got.payload["aps"]["mutable-content"] == 1  # the extension that posts the receipt
    assert Delivery.objects.get(channel_type="apns").status == Status.SENT


def test_a_token_fcm_calls_unregistered_is_forgotten_and_the_delivery_marked_gone(
    api, tenant, staff_token, fcm
):
    subscribe_app(api, "fcm", FCM_TOKEN)
    fcm.respond(FCM_TOKEN, "unregistered")

    publish(api, staff_token)
    drain()

    delivery = Delivery.objects.get(channel_type="fcm")
    assert delivery.status == Status.GONE
    assert not Channel.objects.filter(type="fcm").exists()


def test_a_device_token_apple_calls_unregistered_is_forgotten(api, tenant, staff_token, apns):
    subscribe_app(api, "apns", APNS_TOKEN)
    apns.script(APNS_TOKEN, 410, "Unregistered")

    publish(api, staff_token)
    drain()

    assert Delivery.objects.get(channel_type="apns").status == Status.GONE
    assert not Channel.objects.filter(type="apns").exists()


def test_a_reinstalled_app_presenting_its_token_again_takes_it_over(api, tenant, fcm):
    first = subscribe_app(api, "fcm", FCM_TOKEN)
    second = subscribe_app(api, "fcm", FCM_TOKEN)

    [channel] = Channel.objects.filter(type="fcm")
    assert str(channel.subscriber.public_id) == second["id"] != first["id"]


def test_a_town_without_app_credentials_refuses_the_token_naming_the_field(api, tenant):
    response = api.post(
        "musterstadt/subscribers", {"channels": [{"type": "fcm", "token": FCM_TOKEN}]}
    )

    assert response.status_code == 422
    assert response.json()["field"] == "channels[0].type"
    assert response.json()["code"] == "channel_unavailable"


def test_a_malformed_device_token_is_refused_naming_the_field(api, tenant, apns):
    response = api.post(
        "musterstadt/subscribers", {"channels": [{"type": "apns", "token": "not hex"}]}
    )

    assert response.status_code == 422
    assert response.json()["field"] == "channels[0].token"


def test_deliveries_fail_with_a_reason_when_the_credentials_were_removed(
    api, tenant, staff_token, fcm, monkeypatch
):
    subscribe_app(api, "fcm", FCM_TOKEN)
    for name in ("PROJECT_ID", "CREDENTIALS", "ENDPOINT", "TOKEN_URL"):
        monkeypatch.delenv(f"STADTBOTE_FCM_MUSTERSTADT_{name}")

    publish(api, staff_token)
    drain()

    delivery = Delivery.objects.get(channel_type="fcm")
    assert delivery.status == Status.FAILED
    assert "no FCM credentials" in delivery.reason
    assert fcm.received == []


def test_deliveries_wait_and_retry_while_the_credentials_are_malformed(
    api, tenant, staff_token, fcm, monkeypatch
):
    subscribe_app(api, "fcm", FCM_TOKEN)
    monkeypatch.setenv("STADTBOTE_FCM_MUSTERSTADT_CREDENTIALS", "{truncated")

    publish(api, staff_token)
    drain()

    delivery = Delivery.objects.get(channel_type="fcm")
    assert delivery.status == Status.RETRY
    assert "misconfigured" in delivery.reason
    assert "truncated" not in delivery.reason
