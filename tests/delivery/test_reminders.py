"""Reminders go to the topic's subscribers once per occurrence, at the chosen time."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from stadtbote.delivery import reminders
from stadtbote.messages.models import Event, EventReminder, Message
from stadtbote.tenants.models import Topic

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def fete(tenant) -> Event:
    return Event.objects.create(
        tenant=tenant,
        topic=Topic.objects.get(tenant=tenant, slug="kita"),
        title={"de": "Sommerfest Kita Sonnenschein", "en": "Summer fête"},
        location="Kita Sonnenschein",
        starts_at=datetime(2027, 6, 12, 15, tzinfo=BERLIN),
        remind_at=time(17),
        remind_days_before=1,
    )


def test_nothing_is_sent_before_the_reminder_time(fete):
    assert reminders.sweep(datetime(2027, 6, 11, 16, 59, tzinfo=BERLIN)) == 0
    assert not Message.objects.exists()


def test_the_reminder_goes_out_once_to_the_topic(fete):
    at = datetime(2027, 6, 11, 17, 0, 30, tzinfo=BERLIN)
    assert reminders.sweep(at) == 1
    assert reminders.sweep(at + timedelta(minutes=1)) == 0
    message = Message.objects.get()
    assert message.title["de"] == "Erinnerung: Sommerfest Kita Sonnenschein"
    assert "Kita Sonnenschein" in message.body["de"]
    assert list(message.topics.values_list("slug", flat=True)) == ["kita"]
    assert message.expires_at == fete.starts_at
    assert EventReminder.objects.get().message == message


def test_a_cancelled_or_silent_date_reminds_nobody(fete):
    Event.objects.filter(pk=fete.pk).update(cancelled=True)
    assert reminders.sweep(datetime(2027, 6, 11, 18, tzinfo=BERLIN)) == 0


def test_each_occurrence_of_a_series_has_its_own_reminder(fete):
    Event.objects.filter(pk=fete.pk).update(recurrence="weekly")
    assert reminders.sweep(datetime(2027, 6, 11, 17, 1, tzinfo=BERLIN)) == 1
    assert reminders.sweep(datetime(2027, 6, 18, 17, 1, tzinfo=BERLIN)) == 1
    assert EventReminder.objects.count() == 2
