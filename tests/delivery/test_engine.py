"""The core loop end to end: publish -> targeting -> Web Push and e-mail -> recorded outcomes."""

from __future__ import annotations

import pytest

from stadtbote.delivery.models import Attempt, Delivery, Status
from stadtbote.subscribers.models import Channel
from tests.conftest import ALTSTADT, CAPPEL, LIPPERODE, point_place, push_channel
from tests.support.tasks import drain

pytestmark = pytest.mark.django_db(transaction=True)

CLOSURE = {
    "title": {"de": "Vollsperrung Lange Straße", "en": "Lange Straße closed"},
    "body": {"de": "Bis Freitag gesperrt.", "en": "Closed until Friday."},
    "severity": "info",
    "topics": ["strassensperrungen"],
    "area": {"areas": ["altstadt"]},
}


def subscribe(api, push_service, name, where, **extra):
    body = {"places": [point_place(where)], "channels": [push_channel(push_service, name)], **extra}
    response = api.post("musterstadt/subscribers", body)
    assert response.status_code == 201, response.json()
    return response.json()


def publish(api, staff_token, body):
    response = api.post("musterstadt/messages", body, token=staff_token)
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def test_a_message_reaches_subscribers_in_the_area_with_the_topic_and_no_one_else(
    api, tenant, staff_token, push_service
):
    subscribe(api, push_service, "inside-topic", ALTSTADT, topics=["strassensperrungen"])
    subscribe(api, push_service, "inside-no-topic", ALTSTADT, topics=["kultur"])
    subscribe(api, push_service, "outside-topic", CAPPEL, topics=["strassensperrungen"])

    message_id = publish(api, staff_token, CLOSURE)
    drain()

    assert push_service.wait_for(1)
    [got] = push_service.received_for("inside-topic")
    assert got.payload["id"] == message_id
    assert got.payload["title"] == "Vollsperrung Lange Straße"
    assert got.payload["severity"] == "info"
    assert got.payload["url"].endswith(f"/musterstadt/messages/{message_id}")
    assert got.urgency == "normal"
    assert push_service.received_for("inside-no-topic") == []
    assert push_service.received_for("outside-topic") == []


def test_a_severe_warning_reaches_everyone_in_the_area_whatever_their_topics(
    api, tenant, staff_token, push_service
):
    subscribe(api, push_service, "a", ALTSTADT, topics=["kultur"])
    subscribe(api, push_service, "b", LIPPERODE)
    subscribe(api, push_service, "picky", ALTSTADT, min_severity="extreme")

    publish(api, staff_token, {**CLOSURE, "severity": "severe", "topics": [], "area": None})
    drain()

    assert push_service.wait_for(2)
    assert {r.endpoint for r in push_service.received} == {"sub/a", "sub/b"}
    assert {r.urgency for r in push_service.received} == {"high"}


def test_text_is_sent_in_the_subscribers_language_else_the_default(
    api, tenant, staff_token, push_service
):
    subscribe(api, push_service, "english", ALTSTADT, language="en", topics=["strassensperrungen"])
    subscribe(api, push_service, "german", ALTSTADT, language="de", topics=["strassensperrungen"])
    publish(api, staff_token, CLOSURE)
    publish(api, staff_token, {**CLOSURE, "title": {"de": "Nur deutsch"}, "body": {"de": "Text"}})
    drain()

    assert push_service.wait_for(4)
    english = sorted(r.payload["title"] for r in push_service.received_for("english"))
    assert english == ["Lange Straße closed", "Nur deutsch"]
    assert sorted(r.payload["title"] for r in push_service.received_for("german")) == [
        "Nur deutsch",
        "Vollsperrung Lange Straße",
    ]


def test_every_outcome_is_recorded_once_with_an_attempt_row(api, tenant, staff_token, push_service):
    subscribe(api, push_service, "one", ALTSTADT, topics=["strassensperrungen"])
    message_id = publish(api, staff_token, CLOSURE)
    drain()

    [delivery] = Delivery.objects.filter(message_id=message_id)
    assert delivery.status == Status.SENT
    assert delivery.attempts == 1
    assert Attempt.objects.filter(delivery=delivery, outcome="sent").count() == 1
    summary = api.get(f"musterstadt/messages/{message_id}/deliveries", token=staff_token).json()
    assert summary["targeted"] == 1
    assert summary["by_channel"]["webpush"]["sent"] == 1
    assert summary["by_channel"]["webpush"]["pending"] == 0


def test_a_410_from_the_push_service_removes_the_subscription(
    api, tenant, staff_token, push_service
):
    subscribe(api, push_service, "stale", ALTSTADT, topics=["strassensperrungen"])
    push_service.respond("stale", 410)
    message_id = publish(api, staff_token, CLOSURE)
    drain()

    [delivery] = Delivery.objects.filter(message_id=message_id)
    assert delivery.status == Status.GONE
    assert not Channel.objects.filter(address__endswith="/sub/stale").exists()


def test_a_429_is_retried_after_the_requested_delay_and_then_delivered(
    api, tenant, staff_token, push_service
):
    subscribe(api, push_service, "busy", ALTSTADT, topics=["strassensperrungen"])
    push_service.respond("busy", 429, times=2, retry_after=30)
    message_id = publish(api, staff_token, CLOSURE)
    drain()

    delivery = Delivery.objects.get(message_id=message_id)
    assert delivery.status == Status.RETRY
    assert delivery.not_before is not None
    assert (delivery.not_before - delivery.last_attempt_at).total_seconds() >= 30

    drain(fast_forward=True)
    delivery.refresh_from_db()
    assert delivery.status == Status.SENT
    assert delivery.attempts == 3
    assert len(push_service.received_for("busy")) == 1


def test_a_delivery_that_keeps_failing_gives_up_with_the_reason(
    api, tenant, staff_token, push_service
):
    subscribe(api, push_service, "broken", ALTSTADT, topics=["strassensperrungen"])
    push_service.respond("broken", 503, times=None)
    message_id = publish(api, staff_token, CLOSURE)
    drain()
    for _ in range(10):
        drain(fast_forward=True)
    delivery = Delivery.objects.get(message_id=message_id)
    assert delivery.status == Status.FAILED
    assert "503" in delivery.reason
    assert "gave up after 6 attempts" in delivery.reason
