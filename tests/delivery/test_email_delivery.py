"""E-mail delivery through a real SMTP server: both channels once each, SMTP replies mapped."""

from __future__ import annotations

import pytest
from django.utils import timezone

from stadtbote.delivery.models import Delivery, Status
from stadtbote.subscribers.models import Channel
from tests.conftest import ALTSTADT, point_place, push_channel
from tests.support.tasks import drain

pytestmark = pytest.mark.django_db(transaction=True)

WARNING = {
    "title": {"de": "Unwetter", "en": "Storm"},
    "body": {"de": "Bitte drinnen bleiben.", "en": "Stay indoors."},
    "severity": "severe",
}


def confirmed_subscriber(api, address, push=None, **extra):
    channels = [{"type": "email", "address": address}]
    if push:
        channels.append(push)
    created = api.post(
        "musterstadt/subscribers",
        {"places": [point_place(ALTSTADT)], "channels": channels, **extra},
    ).json()
    Channel.objects.filter(type="email", address=address).update(
        status="confirmed", confirmed_at=timezone.now()
    )
    return created


def test_every_confirmed_channel_gets_the_message_once(
    api, tenant, staff_token, smtp, push_service
):
    confirmed_subscriber(
        api, "both@example.org", push=push_channel(push_service, "both"), language="en"
    )
    api.post("musterstadt/messages", WARNING, token=staff_token)
    drain()
    assert push_service.wait_for(1)
    drain()  # the confirmation mail task ran before confirmation; it sends nothing now
    mails = [m for m in smtp.to("both@example.org") if m["Subject"] == "Storm"]
    assert len(mails) == 1
    assert len(push_service.received_for("both")) == 1
    text = mails[0].get_body(("plain",)).get_content()
    assert "Stay indoors." in text
    assert "/musterstadt/messages/" in text
    assert "SEVERE WARNING" in text


def test_two_subscribers_sharing_an_address_get_one_mail(api, tenant, staff_token, smtp):
    confirmed_subscriber(api, "family@example.org")
    confirmed_subscriber(api, "Family@EXAMPLE.org")
    message_id = api.post("musterstadt/messages", WARNING, token=staff_token).json()["id"]
    drain()
    assert len([m for m in smtp.to("family@example.org") if m["Subject"] == "Unwetter"]) == 1
    assert Delivery.objects.filter(message_id=message_id).count() == 1


def test_a_permanent_smtp_refusal_fails_and_a_temporary_one_is_retried(
    api, tenant, staff_token, smtp
):
    confirmed_subscriber(api, "gone@example.org")
    confirmed_subscriber(api, "full@example.org")
    smtp.refuse["gone@example.org"] = "550 5.1.1 No such user"
    smtp.refuse["full@example.org"] = "452 4.2.2 Mailbox full"
    message_id = api.post("musterstadt/messages", WARNING, token=staff_token).json()["id"]
    drain()
    rows = {
        d.channel.address: d
        for d in Delivery.objects.filter(message_id=message_id).select_related("channel")
    }
    assert rows["gone@example.org"].status == Status.FAILED
    assert "550" in rows["gone@example.org"].reason
    assert rows["full@example.org"].status == Status.RETRY
    assert "452" in rows["full@example.org"].reason

    del smtp.refuse["full@example.org"]
    drain(fast_forward=True)
    rows["full@example.org"].refresh_from_db()
    assert rows["full@example.org"].status == Status.SENT


def test_one_smtp_connection_serves_a_whole_batch(api, tenant, staff_token, smtp):
    for n in range(5):
        confirmed_subscriber(api, f"n{n}@example.org")
    api.post("musterstadt/messages", WARNING, token=staff_token)
    before = smtp.connections
    drain()
    # The confirmation tasks find the addresses confirmed already and send nothing.
    assert smtp.connections - before == 1
    assert len([r for r in smtp.received if r.message["Subject"] == "Unwetter"]) == 5
