"""Composing with SMS: the box appears when the town has SMS providers, and the count before
sending shows the SMS text and how many segments it costs."""

from __future__ import annotations

import pytest

from stadtbote.messages.models import Message
from tests.staff.test_messages import form

PROVIDERS = "smpp://stadtbote:secret@smsc.example.net?source=Musterstadt"


def test_the_sms_box_is_offered_only_when_the_town_has_sms_providers(publisher, monkeypatch):
    without = publisher.get("/musterstadt/staff/messages/new").content.decode()
    monkeypatch.setenv("STADTBOTE_SMS_PROVIDERS", PROVIDERS)
    with_sms = publisher.get("/musterstadt/staff/messages/new").content.decode()

    assert 'value="sms"' not in without
    assert 'value="sms"' in with_sms
    assert "Push (browser and app)" in with_sms


def test_the_count_shows_the_sms_text_and_its_segments(publisher, monkeypatch):
    monkeypatch.setenv("STADTBOTE_SMS_PROVIDERS", PROVIDERS)

    short = publisher.post(
        "/musterstadt/staff/messages/reach", form(channel=["sms"])
    ).content.decode()
    emoji = publisher.post(
        "/musterstadt/staff/messages/reach",
        form(channel=["sms"], body_de="Bis Freitag gesperrt 🚧 " + "Umleitung über Ring. " * 6),
    ).content.decode()

    assert (
        "Musterstadt (Lippstadt) - Info: Vollsperrung Lange Straße. Bis Freitag gesperrt." in short
    )
    assert "1 SMS segment (GSM7)" in short
    assert "SMS segments (UCS2)" in emoji
    assert "70 characters per segment instead of 160" in emoji


@pytest.mark.django_db(transaction=True)
def test_the_push_box_stands_for_browsers_and_both_app_platforms(publisher, tenant):
    response = publisher.post("/musterstadt/staff/messages/new", form(channel=["webpush"]))

    assert response.status_code == 302
    assert Message.objects.get().channels == ["webpush", "fcm", "apns"]


def test_a_warning_by_push_shows_the_sms_its_fallback_would_send(publisher, monkeypatch):
    monkeypatch.setenv("STADTBOTE_SMS_PROVIDERS", PROVIDERS)

    warning = publisher.post(
        "/musterstadt/staff/messages/reach", form(channel=["webpush"], severity="severe")
    ).content.decode()
    news = publisher.post(
        "/musterstadt/staff/messages/reach", form(channel=["webpush"])
    ).content.decode()

    assert "to people whose push does not arrive" in warning
    assert "SMS segment" in warning
    assert "SMS segment" not in news
