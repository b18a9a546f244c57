"""`stadtbote demo`: sample messages once (never sent), and the legal texts of the demo town."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from stadtbote.delivery.models import DeliveryJob
from stadtbote.messages.models import Message, MessageStatus
from stadtbote.ops import demo_texts
from stadtbote.pages.models import PublicText

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_demo_publishes_three_sample_messages_without_sending_them():
    out = run("demo")
    assert "Published 3 sample messages" in out
    messages = Message.objects.all()
    assert messages.count() == 3
    assert {m.status for m in messages} == {MessageStatus.PUBLISHED}
    assert all(m.expires_at and m.published_at for m in messages)
    assert {m.severity for m in messages} == {0, 1, 2}
    assert not DeliveryJob.objects.exists()


def test_running_demo_again_publishes_no_more_messages():
    run("demo")
    ids = set(Message.objects.values_list("id", flat=True))
    out = run("demo")
    assert "sample messages" not in out
    assert set(Message.objects.values_list("id", flat=True)) == ids


def test_demo_with_no_messages_publishes_none():
    run("demo", "--no-messages")
    assert not Message.objects.exists()


def test_demo_with_synthetic_subscribers_publishes_no_messages():
    run("demo", "--subscribers", "3")
    assert not Message.objects.exists()


def test_demo_loads_the_six_public_texts_once():
    run("demo")
    run("demo", "--no-messages")
    texts = PublicText.objects.filter(tenant__slug="musterstadt")
    assert texts.count() == 6
    assert set(texts.values_list("kind", "language")) == {
        (kind, lang) for kind in ("accessibility", "privacy", "imprint") for lang in ("de", "en")
    }
    assert len(demo_texts.TEXTS) == 6
