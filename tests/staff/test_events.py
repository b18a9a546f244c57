"""Dates in the staff console: publishers add and cancel them; others cannot."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from stadtbote.audit.models import AuditEntry
from stadtbote.messages.models import Event


def form(**changes):
    start = (timezone.now() + timedelta(days=10)).strftime("%Y-%m-%dT15:00")
    data = {
        "topic": "kita", "title_de": "Sommerfest", "title_en": "", "description_de": "Mit Kuchen",
        "description_en": "", "location": "Kita Sonnenschein", "starts_at": start, "ends_at": "",
        "recurrence": "", "until": "", "remind": "1", "remind_days_before": "1", "remind_at": "17:00",
    }  # fmt: skip
    data.update(changes)
    return data


def test_a_publisher_adds_a_date_with_a_reminder(publisher, tenant):
    response = publisher.post("/musterstadt/staff/events/", form())
    assert response.status_code == 302
    event = Event.objects.get()
    assert (event.topic.slug, event.remind, event.location) == ("kita", True, "Kita Sonnenschein")
    assert event.starts_at.astimezone(timezone.get_current_timezone()).hour == 15
    assert AuditEntry.objects.filter(action="event.create").exists()
    page = publisher.get("/musterstadt/staff/events/").content.decode()
    assert "Sommerfest" in page
    assert "/musterstadt/topics/kita/calendar.ics" in page


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"topic": "gibt-es-nicht"}, "topic"),
        ({"title_de": ""}, "title"),
        ({"starts_at": ""}, "starts_at"),
        ({"starts_at": "2020-01-01T10:00"}, "starts_at"),
        ({"recurrence": "daily"}, "recurrence"),
        ({"remind_days_before": "99"}, "remind_days_before"),
    ],
)
def test_mistakes_are_named(publisher, tenant, changes, field):
    response = publisher.post("/musterstadt/staff/events/", form(**changes))
    assert response.status_code == 422
    assert f'href="#{field}"' in response.content.decode()
    assert not Event.objects.exists()


def test_cancelling_keeps_the_date_marked_as_cancelled(publisher, tenant):
    publisher.post("/musterstadt/staff/events/", form())
    event = Event.objects.get()
    publisher.post(f"/musterstadt/staff/events/{event.uid}/cancel")
    event.refresh_from_db()
    assert (event.cancelled, event.remind) == (True, False)


def test_case_workers_and_other_towns_cannot_touch_dates(caseworker, other_town_worker, tenant):
    assert caseworker.get("/musterstadt/staff/events/").status_code == 403
    assert caseworker.post("/musterstadt/staff/events/", form()).status_code == 403
    assert other_town_worker.get("/musterstadt/staff/events/").status_code == 404
    assert not Event.objects.exists()
