"""The inbox domain: current warnings reach a subscriber by place alone; read state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from stadtbote.delivery import dispatch, inbox, privacy
from stadtbote.delivery.models import InboxRead
from stadtbote.messages import service as messages
from stadtbote.subscribers import service as subscribers
from stadtbote.tenants.models import Municipality
from tests.conftest import ALTSTADT, CAPPEL, point_place

pytestmark = pytest.mark.django_db

# In Lipperode, about 140 m east of the Altstadt's eastern edge (lon 8.365).
NEAR_ALTSTADT = (51.673, 8.367)


def subscriber(tenant, *places, **extra):
    sub, _ = subscribers.create(tenant, {"places": list(places), **extra})
    return sub


def warn(tenant, title="Warnung", severity="moderate", **extra):
    return messages.create(
        tenant, {"title": {"de": title}, "severity": severity, **extra}, key=None
    )


def titles(messages_):
    return sorted(m.title["de"] for m in messages_)


def test_a_point_whose_radius_reaches_into_a_district_gets_that_districts_warnings(tenant):
    reaching = subscriber(tenant, point_place(NEAR_ALTSTADT, radius_m=250))
    short = subscriber(tenant, point_place(NEAR_ALTSTADT, radius_m=100))
    warn(tenant, "Altstadt", area={"areas": ["altstadt"]})
    assert titles(inbox.current_warnings_for(reaching)) == ["Altstadt"]
    assert inbox.current_warnings_for(short) == []


def test_a_district_place_gets_warnings_for_its_district_and_the_whole_town(tenant):
    sub = subscriber(tenant, {"area": "altstadt"})
    warn(tenant, "Altstadt", area={"areas": ["altstadt"]})
    warn(tenant, "Cappel", area={"areas": ["cappel"]})
    warn(tenant, "Überall", severity="extreme")
    warn(
        tenant, "Kreis", area={"circle": {"lat": ALTSTADT[0], "lon": ALTSTADT[1], "radius_m": 200}}
    )
    assert titles(inbox.current_warnings_for(sub)) == ["Altstadt", "Kreis", "Überall"]


def test_warnings_below_the_subscribers_threshold_and_outside_their_topics_still_show(tenant):
    sub = subscriber(tenant, point_place(CAPPEL), min_severity="extreme", topics=["kita"])
    warn(tenant, "Glätte", severity="minor", area={"areas": ["cappel"]})
    assert titles(inbox.current_warnings_for(sub)) == ["Glätte"]


def test_a_paused_subscriber_still_sees_the_warnings_for_their_places(tenant):
    sub = subscriber(tenant, point_place(ALTSTADT))
    subscribers.update(sub, {"paused": True})
    warn(tenant, "Sturm")
    assert titles(inbox.current_warnings_for(sub)) == ["Sturm"]


def test_news_expired_withdrawn_and_unpublished_messages_are_not_current_warnings(tenant):
    sub = subscriber(tenant, point_place(ALTSTADT))
    warn(tenant, "Info", severity="info")
    expired = warn(tenant, "Läuft ab", expires_at=(timezone.now() + timedelta(hours=1)).isoformat())
    dispatch.cancel(warn(tenant, "Zurückgezogen"))
    warn(tenant, "Entwurf", hold=True)
    warn(tenant, "Geplant", send_at=(timezone.now() + timedelta(days=1)).isoformat())
    warn(tenant, "Gilt")
    assert titles(inbox.current_warnings_for(sub)) == ["Gilt", "Läuft ab"]
    later = timezone.now() + timedelta(hours=2)
    assert expired.expires_at < later
    assert titles(inbox.current_warnings_for(sub, now=later)) == ["Gilt"]


def test_another_towns_warnings_do_not_reach_a_subscriber(tenant):
    sub = subscriber(tenant, point_place(ALTSTADT))
    other = Municipality.objects.create(
        slug="nachbarort", name="N", center_lat=51.673, center_lon=8.345
    )
    warn(other, "Fremd", severity="extreme")
    assert inbox.current_warnings_for(sub) == []


def test_the_inbox_entries_put_a_valid_severe_warning_first(tenant):
    sub = subscriber(tenant, point_place(ALTSTADT))
    severe = warn(tenant, "Schwer", severity="severe")
    newer = warn(tenant, "Neuer", severity="minor")
    entries = inbox.entries(sub)
    assert [e.message.pk for e in entries] == [severe.pk, newer.pk]
    assert [(e.received, e.read) for e in entries] == [(False, False), (False, False)]


def test_marking_read_is_idempotent(tenant):
    sub = subscriber(tenant, point_place(ALTSTADT))
    message = warn(tenant)
    assert inbox.mark_read(sub, [str(message.pk)]) == 1
    assert inbox.mark_read(sub, [str(message.pk), str(message.pk)]) == 0
    assert InboxRead.objects.filter(subscriber=sub).count() == 1
    assert inbox.unread_count(sub) == 0
    assert [e.read for e in inbox.entries(sub)] == [True]


def test_marking_read_ignores_unknown_messages_and_other_towns(tenant):
    sub = subscriber(tenant, point_place(ALTSTADT))
    other = Municipality.objects.create(
        slug="nachbarort", name="N", center_lat=51.7, center_lon=8.5
    )
    foreign = warn(other)
    assert inbox.mark_read(sub, [str(foreign.pk), "6f1c1c1e-0000-4000-8000-000000000000"]) == 0
    assert not InboxRead.objects.exists()


def test_the_privacy_export_includes_what_was_read(tenant):
    sub = subscriber(tenant, point_place(ALTSTADT))
    first, second = warn(tenant, "A"), warn(tenant, "B")
    inbox.mark_read(sub, [str(first.pk)])
    inbox.mark_read(sub, [str(second.pk)])
    data = privacy.export_subscriber(sub)
    assert [r["message"] for r in data["read"]] == [str(first.pk), str(second.pk)]
    assert all(r["read_at"] for r in data["read"])
    assert data["deliveries"] == []


def test_erasing_a_subscriber_erases_their_read_state(tenant):
    sub = subscriber(tenant, point_place(ALTSTADT))
    inbox.mark_read(sub, [str(warn(tenant).pk)])
    privacy.erase_subscriber(sub)
    assert not InboxRead.objects.exists()
