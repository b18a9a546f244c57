"""Reminders go to the topic's subscribers once per occurrence, at the chosen time."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from stadtbote.core.errors import InvalidInput
from stadtbote.delivery import reminders
from stadtbote.messages.models import Event, EventReminder, Message
from stadtbote.messages.service import MAX_BODY, MAX_TITLE
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


@pytest.fixture
def two_dates(tenant, fete) -> tuple[Event, Event]:
    """A broken date that comes first in the sweep, and the fête after it."""
    broken = Event.objects.create(
        tenant=tenant,
        topic=fete.topic,
        title={"de": "Kaputt"},
        starts_at=datetime(2027, 6, 12, 10, tzinfo=BERLIN),
        remind_at=time(17),
        remind_days_before=1,
    )
    return broken, fete


@pytest.mark.parametrize("error", [InvalidInput("at most 200 characters", field="title.de"),
                                   RuntimeError("database hiccup")])  # fmt: skip
def test_a_date_whose_reminder_fails_does_not_hold_up_the_next_ones(
    two_dates, monkeypatch, caplog, error
):
    broken, fete = two_dates
    create = reminders.messages.create

    def failing_for_the_broken_date(tenant, data, key):
        if data["title"]["de"] == "Erinnerung: Kaputt":
            raise error
        return create(tenant, data, key)

    monkeypatch.setattr(reminders.messages, "create", failing_for_the_broken_date)
    at = datetime(2027, 6, 11, 17, 0, 30, tzinfo=BERLIN)
    assert reminders.sweep(at) == 1
    assert Message.objects.get().title["de"] == "Erinnerung: Sommerfest Kita Sonnenschein"
    assert list(EventReminder.objects.values_list("event", flat=True)) == [fete.pk]
    failure = next(r for r in caplog.records if r.levelname == "ERROR")
    assert str(broken.uid) in failure.getMessage()
    assert failure.exc_info is not None


def test_a_failed_reminder_is_tried_again_by_the_next_sweep(two_dates, monkeypatch):
    broken, _ = two_dates
    create = reminders.messages.create

    def failing_once(tenant, data, key):
        monkeypatch.setattr(reminders.messages, "create", create)
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(reminders.messages, "create", failing_once)
    at = datetime(2027, 6, 11, 17, 0, 30, tzinfo=BERLIN)
    assert reminders.sweep(at) == 1
    assert reminders.sweep(at + timedelta(minutes=1)) == 1
    assert EventReminder.objects.filter(event=broken).exists()


def test_a_very_long_title_and_description_still_yield_a_reminder_within_the_limits(fete):
    Event.objects.filter(pk=fete.pk).update(
        title={"de": "Sommerfest " * 18 + "En"},  # 200 characters, as long as a title may be
        description={"de": "Es gibt Kuchen. " * 312 + "Schluss"},  # 4999 characters
    )
    assert reminders.sweep(datetime(2027, 6, 11, 17, 0, 30, tzinfo=BERLIN)) == 1
    message = Message.objects.get()
    title, body = message.title["de"], message.body["de"]
    assert len(title) <= MAX_TITLE
    assert title.startswith("Erinnerung: Sommerfest")
    assert title.endswith("…")
    assert len(body) <= MAX_BODY
    assert body.splitlines()[0] == "12. Juni 2027 15:00, Kita Sonnenschein."
    assert body.endswith("Kuchen.…")
    assert "Schluss" not in body
