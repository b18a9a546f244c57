"""A citizen adds a phone number for SMS in the app, gets a code at the gateway and confirms it;
wrong, dead and mistyped codes get clear answers, and the number can be removed again."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from stadtbote.subscribers import sms_codes
from stadtbote.subscribers.models import Channel, ChannelStatus
from tests.support.sms_gateway import SmsGateway
from tests.support.tasks import drain
from tests.web.support import error_steps, error_text, sign_up, signup_form, text

pytestmark = pytest.mark.django_db(transaction=True)

NUMBER = "+4915112345678"
TYPED = "0151 1234 5678"
# Kept on one line in sentences.
SHOWN = "+49\u00a0151\u00a012345678"


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmsGateway]:
    with SmsGateway() as server:
        url = server.url.replace("http://", "kannel+http://stadtbote:secret@")
        monkeypatch.setenv("STADTBOTE_SMS_PROVIDERS", f"{url}?from=Musterstadt")
        yield server


def sent_code(gateway: SmsGateway) -> str:
    drain()
    texts = [r["text"] for r in gateway.received if r["to"] == NUMBER]
    assert texts, "no SMS reached the gateway"
    found = re.search(r"\b(\d{6})\b", texts[-1])
    assert found, texts[-1]
    return found.group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def enter(client, code: str, lang: str = "en"):
    return client.post("/musterstadt/settings/sms", {"code": code}, HTTP_ACCEPT_LANGUAGE=lang)


def test_a_number_given_at_sign_up_gets_a_code_that_confirms_it(client, tenant, gateway):
    response = client.post("/musterstadt/start", signup_form(sms=TYPED))
    assert response.status_code == 302
    assert response["Location"] == "/musterstadt/settings/sms"

    step = client.get("/musterstadt/settings/sms", HTTP_ACCEPT_LANGUAGE="en")
    confirmed = enter(client, sent_code(gateway))

    page = text(step)
    assert f"Enter the code we sent to {SHOWN}." in page
    assert 'inputmode="numeric" autocomplete="one-time-code"' in page
    assert confirmed.status_code == 302
    assert confirmed["Location"] == "/musterstadt/settings?sms=confirmed"
    assert Channel.objects.get(type="sms").status == ChannelStatus.CONFIRMED
    settings = text(client.get(confirmed["Location"], HTTP_ACCEPT_LANGUAGE="en"))
    assert "Your phone number is confirmed." in settings
    assert f"{SHOWN} is confirmed and gets messages by SMS." in settings


def test_a_number_added_in_the_settings_leads_to_the_code_step(client, tenant, gateway):
    sign_up(client)
    response = client.post("/musterstadt/settings", signup_form(sms=TYPED))
    code = sent_code(gateway)
    settings = text(client.get("/musterstadt/settings", HTTP_ACCEPT_LANGUAGE="en"))

    assert response["Location"] == "/musterstadt/settings/sms"
    assert f"{SHOWN} is waiting for the code we sent." in settings
    assert enter(client, code)["Location"] == "/musterstadt/settings?sms=confirmed"


def test_a_wrong_code_is_refused_with_the_tries_left_and_the_field_marked(client, tenant, gateway):
    client.post("/musterstadt/start", signup_form(sms=TYPED))
    response = enter(client, wrong(sent_code(gateway)))

    page = text(response)
    assert response.status_code == 422
    assert error_text(response) == (
        "This code is not right. Please check the SMS and try again. Tries left: 4."
    )
    assert 'aria-describedby="code-intro code-error" aria-invalid="true"' in page
    assert Channel.objects.get(type="sms").status == ChannelStatus.PENDING


def test_a_wrong_code_is_explained_in_german(client, tenant, gateway):
    client.post("/musterstadt/start", signup_form(sms=TYPED))
    response = enter(client, wrong(sent_code(gateway)), lang="de")

    assert error_text(response) == (
        "Dieser Code stimmt nicht. Bitte prüfen Sie die SMS und versuchen Sie es noch einmal. "
        "Verbleibende Versuche: 4."
    )


def test_the_fifth_wrong_code_ends_it_and_even_the_right_one_is_refused_then(
    client, tenant, gateway
):
    client.post("/musterstadt/start", signup_form(sms=TYPED))
    right = sent_code(gateway)
    answers = [enter(client, wrong(right)) for _ in range(sms_codes.MAX_ATTEMPTS)]
    after = enter(client, right)

    assert [r.status_code for r in answers] == [422] * sms_codes.MAX_ATTEMPTS
    assert "entered wrongly too often" in error_text(answers[-1])
    assert "entered wrongly too often" in error_text(after)
    assert Channel.objects.get(type="sms").status == ChannelStatus.PENDING


def test_a_new_code_replaces_the_dead_one_after_the_resend_interval(client, tenant, gateway):
    client.post("/musterstadt/start", signup_form(sms=TYPED))
    first = sent_code(gateway)
    for _ in range(sms_codes.MAX_ATTEMPTS):
        enter(client, wrong(first))
    too_soon = client.post("/musterstadt/settings/sms/resend")
    channel = Channel.objects.get(type="sms")
    # As if the resend interval had passed.
    channel.confirm_expires_at -= sms_codes.RESEND_INTERVAL
    channel.save(update_fields=["confirm_expires_at"])
    resent = client.post("/musterstadt/settings/sms/resend")
    second = sent_code(gateway)

    assert too_soon["Location"] == "/musterstadt/settings/sms?notice=wait"
    assert resent["Location"] == "/musterstadt/settings/sms?notice=sent"
    assert len(gateway.received) == 2
    assert enter(client, second)["Location"] == "/musterstadt/settings?sms=confirmed"


def test_an_expired_code_asks_for_a_new_one(client, tenant, gateway):
    client.post("/musterstadt/start", signup_form(sms=TYPED))
    code = sent_code(gateway)
    channel = Channel.objects.get(type="sms")
    channel.confirm_expires_at -= sms_codes.CODE_VALID_FOR
    channel.save(update_fields=["confirm_expires_at"])

    response = enter(client, code)

    assert error_text(response) == "This code has expired. Please ask for a new code below."
    assert 'id="form-error" tabindex="-1" autofocus' in text(response)


def test_a_mistyped_code_costs_no_attempt(client, tenant, gateway):
    client.post("/musterstadt/start", signup_form(sms=TYPED))
    sent_code(gateway)

    response = enter(client, "12a")

    assert error_text(response) == "Enter the 6-digit code from the SMS."
    assert Channel.objects.get(type="sms").confirm_attempts == 0


def test_a_number_that_is_no_phone_number_is_refused_at_its_field(client, tenant, gateway):
    response = client.post(
        "/musterstadt/start",
        signup_form(sms="12ab", email="ada@example.org"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    page = text(response)

    assert response.status_code == 422
    assert error_steps(response) == ["email"]
    assert error_text(response).startswith("Please check the phone number.")
    assert 'aria-describedby="sms-hint sms-cost sms-error" aria-invalid="true"' in page
    assert 'autocomplete="email" value="ada@example.org" aria-describedby="email-hint">' in page
    assert not gateway.received


def test_a_town_without_sms_shows_no_phone_field_and_refuses_a_posted_number(client, tenant):
    page = text(client.get("/musterstadt/start", HTTP_ACCEPT_LANGUAGE="en"))
    response = client.post("/musterstadt/start", signup_form(sms=TYPED), HTTP_ACCEPT_LANGUAGE="en")

    assert 'name="sms"' not in page
    assert "Phone number for SMS" not in page
    assert response.status_code == 422
    assert error_text(response) == "This town does not send SMS. You can use e-mail instead."


def test_a_town_with_sms_explains_the_field_and_its_cost(client, tenant, gateway):
    page = text(client.get("/musterstadt/start", HTTP_ACCEPT_LANGUAGE="en"))

    assert '<label for="sms">Phone number for SMS</label><input type="tel"' in page
    assert "Every SMS costs the town money." in page


def test_the_number_can_be_removed_on_the_code_step(client, tenant, gateway):
    sub = sign_up(client, sms=TYPED, email="ada@example.org")
    response = client.post("/musterstadt/settings/sms/remove")

    assert response["Location"] == "/musterstadt/settings?sms=removed"
    assert list(sub.channels.values_list("type", flat=True)) == ["email"]
    assert client.get("/musterstadt/settings/sms")["Location"] == "/musterstadt/settings"


def test_an_emptied_phone_field_removes_a_confirmed_number(client, tenant, gateway):
    sub = sign_up(client, sms=TYPED)
    enter(client, sent_code(gateway))

    response = client.post("/musterstadt/settings", signup_form(sms=""))

    assert response["Location"] == "/musterstadt/settings?saved=1"
    assert not sub.channels.exists()


def test_saving_other_settings_keeps_a_confirmed_number_without_a_new_code(client, tenant, gateway):
    sign_up(client, sms=TYPED)
    enter(client, sent_code(gateway))

    response = client.post("/musterstadt/settings", signup_form(sms=NUMBER, topic=["kultur"]))
    drain()

    assert response["Location"] == "/musterstadt/settings?saved=1"
    assert Channel.objects.get(type="sms").status == ChannelStatus.CONFIRMED
    assert len(gateway.received) == 1


def test_the_code_step_needs_the_forms_csrf_token(tenant, gateway):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    start = browser.get("/musterstadt/start")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text(start)).group(1)
    browser.post("/musterstadt/start", {**signup_form(sms=TYPED), "csrfmiddlewaretoken": token})

    refused = browser.post("/musterstadt/settings/sms", {"code": "123456"})

    assert refused.status_code == 403
