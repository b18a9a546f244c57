"""Quiet hours hold messages back until they end; a withdrawn message stops and is retracted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from stadtbote.delivery.maintenance import release_held
from stadtbote.delivery.models import Delivery, Kind, Status
from stadtbote.subscribers.models import Subscriber
from tests.conftest import ALTSTADT, point_place, push_channel
from tests.support.tasks import drain

pytestmark = pytest.mark.django_db(transaction=True)


def subscribe(api, push_service, name, **extra):
    body = {
        "places": [point_place(ALTSTADT)],
        "topics": ["kultur"],
        "channels": [push_channel(push_service, name)],
        **extra,
    }
    response = api.post("musterstadt/subscribers", body)
    assert response.status_code == 201
    return response.json()


def always_quiet(public_id):
    # A window that covers "now" whatever time the test runs: it started a minute ago.
    now = timezone.localtime()
    start = (now - timedelta(minutes=1)).time().replace(second=0, microsecond=0)
    end = (now + timedelta(hours=2)).time().replace(second=0, microsecond=0)
    Subscriber.objects.filter(public_id=public_id).update(quiet_start=start, quiet_end=end)
    return end


def news(severity="info"):
    return {
        "title": {"de": "Konzert"},
        "body": {"de": "Heute Abend"},
        "severity": severity,
        "topics": ["kultur"],
    }


def test_news_during_quiet_hours_is_held_and_sent_when_they_end(
    api, tenant, staff_token, push_service
):
    sleeper = subscribe(api, push_service, "sleeper")
    subscribe(api, push_service, "awake")
    always_quiet(sleeper["id"])

    message_id = api.post("musterstadt/messages", news(), token=staff_token).json()["id"]
    drain()
    assert push_service.wait_for(1)
    assert [r.endpoint for r in push_service.received] == ["sub/awake"]
    held = Delivery.objects.get(message_id=message_id, status=Status.HELD)
    assert held.not_before > timezone.now()

    assert release_held(now=timezone.now()) == 0  # not yet
    assert release_held(now=held.not_before + timedelta(seconds=1)) == 1
    drain()
    assert push_service.wait_for(2)
    assert len(push_service.received_for("sleeper")) == 1


def test_a_severe_warning_is_not_held_by_quiet_hours(api, tenant, staff_token, push_service):
    sleeper = subscribe(api, push_service, "sleeper")
    always_quiet(sleeper["id"])
    api.post("musterstadt/messages", news("severe"), token=staff_token)
    drain()
    assert push_service.wait_for(1)
    assert push_service.received_for("sleeper")[0].urgency == "high"


def test_cancelling_tells_those_who_got_it_and_stops_the_rest(
    api, tenant, staff_token, push_service
):
    subscribe(api, push_service, "got-it")
    sleeper = subscribe(api, push_service, "sleeper")
    always_quiet(sleeper["id"])
    message_id = api.post("musterstadt/messages", news(), token=staff_token).json()["id"]
    drain()
    assert push_service.wait_for(1)

    response = api.post(f"musterstadt/messages/{message_id}/cancel", token=staff_token)
    assert response.status_code == 200
    assert response.json()["stopped"] == 1
    drain()
    assert push_service.wait_for(2)

    notice = push_service.received_for("got-it")[-1].payload
    assert notice["kind"] == "withdrawal"
    assert notice["id"] == message_id
    assert push_service.received_for("sleeper") == []
    assert (
        Delivery.objects.get(
            message_id=message_id, kind=Kind.MESSAGE, channel__subscriber__public_id=sleeper["id"]
        ).status
        == Status.CANCELLED
    )
    # The held delivery stays cancelled when quiet hours end.
    release_held(now=timezone.now() + timedelta(days=1))
    drain()
    assert push_service.received_for("sleeper") == []

    public = api.get(f"musterstadt/messages/{message_id}").json()
    assert public["status"] == "cancelled"
    assert message_id not in [m["id"] for m in api.get("musterstadt/messages").json()]
    summary = api.get(f"musterstadt/messages/{message_id}/deliveries", token=staff_token).json()
    assert summary["withdrawal_notices_sent"] == 1
    assert summary["by_channel"]["webpush"]["cancelled"] == 1
