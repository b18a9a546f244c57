"""A citizen adds a phone number, confirms it with the code sent to it, and then gets messages
by SMS, fitted to the SMS budget with a short link to the full text."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from stadtbote.delivery.models import Delivery, Status
from stadtbote.subscribers.models import Channel, ChannelStatus
from tests.conftest import ALTSTADT, point_place
from tests.support.smpp_server import SmppServer
from tests.support.sms_gateway import SmsGateway
from tests.support.tasks import drain

pytestmark = pytest.mark.django_db(transaction=True)

NUMBER = "+4915112345678"
WARNING = {
    "title": {"de": "Unwetterwarnung", "en": "Severe weather warning"},
    "body": {"de": "Orkanböen ab 18 Uhr. Bleiben Sie im Haus.", "en": "Gusts from 6 pm."},
    "severity": "severe",
}


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmsGateway]:
    with SmsGateway() as server:
        url = server.url.replace("http://", "kannel+http://stadtbote:secret@")
        monkeypatch.setenv("STADTBOTE_SMS_PROVIDERS", f"{url}?from=Musterstadt")
        yield server


def texts_to(gateway: SmsGateway, number: str) -> list[str]:
    return [r["text"] for r in gateway.received if r["to"] == number]


def code_in(text: str) -> str:
    found = re.search(r"\b(\d{6})\b", text)
    assert found, text
    return found.group(1)


def add_number(api, number="0151 1234 5678", **extra):
    body = {"places": [point_place(ALTSTADT)], "channels": [{"type": "sms", "address": number}]}
    response = api.post("musterstadt/subscribers", {**body, **extra})
    assert response.status_code == 201, response.json()
    return response.json()


def confirm(api, created, code, **extra):
    return api.post(
        f"musterstadt/subscribers/{created['id']}/confirm-sms",
        {"code": code, **extra},
        token=created["token"],
    )


def test_a_number_gets_a_code_in_the_citizens_language_and_the_code_confirms_it(
    api, tenant, gateway
):
    created = add_number(api, language="de")
    drain()

    [text] = texts_to(gateway, NUMBER)
    response = confirm(api, created, code_in(text))

    assert created["channels"] == [{"type": "sms", "status": "pending"}]
    assert "Ihr Code lautet" in text
    assert "Musterstadt" in text
    assert response.status_code == 200
    assert response.json()["channels"] == [
        {"type": "sms", "status": "confirmed", "address": NUMBER}
    ]


def test_nothing_but_the_code_reaches_an_unconfirmed_number(api, tenant, staff_token, gateway):
    add_number(api)
    drain()
    api.post("musterstadt/messages", WARNING, token=staff_token)
    drain()

    assert len(texts_to(gateway, NUMBER)) == 1
    assert not Delivery.objects.filter(channel_type="sms").exists()


def test_wrong_codes_are_counted_and_the_fifth_ends_the_code(api, tenant, gateway):
    created = add_number(api)
    drain()
    right = code_in(texts_to(gateway, NUMBER)[0])
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    answers = [confirm(api, created, wrong).json()["code"] for _ in range(5)]
    after = confirm(api, created, right)

    assert answers == ["invalid_code"] * 5
    assert after.status_code == 422
    assert after.json() | {"detail": ""} == {
        "detail": "",
        "code": "too_many_attempts",
        "field": "code",
    }
    assert Channel.objects.get().status == ChannelStatus.PENDING


def test_a_confirmed_number_gets_the_warning_with_a_short_link_that_leads_to_it(
    api, client, tenant, staff_token, gateway
):
    created = add_number(api)
    drain()
    confirm(api, created, code_in(texts_to(gateway, NUMBER)[0]))

    message_id = api.post("musterstadt/messages", WARNING, token=staff_token).json()["id"]
    drain()

    sms = texts_to(gateway, NUMBER)[-1]
    link = re.search(r"http://\S+/musterstadt/s/[0-9a-f]{8}", sms).group(0)
    assert sms.startswith("Musterstadt (Lippstadt) - WARNUNG: Unwetterwarnung.")
    assert Delivery.objects.get(channel_type="sms").status == Status.SENT
    redirect = client.get(link.split("://", 1)[1].split("/", 1)[1].join(["/", ""]))
    assert redirect.status_code == 302
    assert redirect["Location"] == f"/musterstadt/messages/{message_id}"


def test_a_number_that_is_no_phone_number_is_refused_naming_the_field(api, tenant, gateway):
    response = api.post(
        "musterstadt/subscribers", {"channels": [{"type": "sms", "address": "12ab"}]}
    )

    assert response.status_code == 422
    assert response.json()["field"] == "channels[0].address"


def test_a_town_without_sms_providers_refuses_numbers(api, tenant):
    response = api.post(
        "musterstadt/subscribers", {"channels": [{"type": "sms", "address": NUMBER}]}
    )

    assert response.status_code == 422
    assert response.json()["code"] == "channel_unavailable"


def test_the_code_also_goes_out_over_smpp(api, tenant, monkeypatch):
    with SmppServer(system_id="stadtbote", password="secret") as smsc:
        monkeypatch.setenv(
            "STADTBOTE_SMS_PROVIDERS",
            f"smpp://stadtbote:secret@127.0.0.1:{smsc.port}?source=Musterstadt",
        )
        created = add_number(api, language="en")
        drain()
        [text] = smsc.texts_for(NUMBER)

    response = confirm(api, created, code_in(text))

    assert "your code is" in text
    assert response.status_code == 200


def test_premium_and_far_away_numbers_are_refused_so_nobody_earns_from_the_towns_sms(
    api, tenant, gateway
):
    for number in ("0900 1234567", "+44 7700 900123"):
        response = api.post(
            "musterstadt/subscribers", {"channels": [{"type": "sms", "address": number}]}
        )
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_number"


def test_one_phone_number_per_subscription(api, tenant, gateway):
    channels = [
        {"type": "sms", "address": "0151 1234 5678"},
        {"type": "sms", "address": "0151 1234 5679"},
    ]
    response = api.post("musterstadt/subscribers", {"channels": channels})

    assert response.status_code == 422
    assert response.json()["field"] == "channels[1]"


def test_saving_again_while_the_code_is_valid_sends_no_second_code(api, tenant, gateway):
    created = add_number(api)
    drain()
    again = api.patch(
        f"musterstadt/subscribers/{created['id']}",
        {"channels": [{"type": "sms", "address": NUMBER}], "topics": ["kultur"]},
        token=created["token"],
    )
    drain()

    assert again.status_code == 200
    assert len(texts_to(gateway, NUMBER)) == 1
