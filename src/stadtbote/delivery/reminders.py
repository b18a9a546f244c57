"""Reminders of events: a message to the topic's subscribers before each occurrence, sent by
the worker's upkeep (``JOBS``), once per occurrence however many workers run it."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from stadtbote.delivery import dispatch
from stadtbote.messages import events as rules
from stadtbote.messages import service as messages
from stadtbote.messages.models import Event, EventReminder
from stadtbote.messages.service import MAX_BODY, MAX_TITLE

log = logging.getLogger(__name__)
LOOKAHEAD = timedelta(days=31)  # reminders at most a month ahead are looked for


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def _texts(event: Event, occurrence: datetime) -> tuple[dict[str, str], dict[str, str]]:
    tz = ZoneInfo(event.tenant.timezone)
    titles, bodies = {}, {}
    for lang, title in event.title.items():
        with translation.override(lang):
            when = formats.date_format(occurrence.astimezone(tz), "DATETIME_FORMAT")
            titles[lang] = _shorten(_("Reminder: %(title)s") % {"title": title}, MAX_TITLE)
            parts = [when]
            if event.location:
                parts.append(event.location)
            body = ", ".join(parts) + "."
            # The description may fill a whole message by itself; the date and place in
            # front of it matter more than its end.
            extra = _shorten(event.description.get(lang, ""), MAX_BODY - len(body) - 1)
            bodies[lang] = f"{body}\n{extra}".strip()
    return titles, bodies


def sweep(now: datetime | None = None) -> int:
    """Send the reminders that are due now; returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    upcoming = Event.objects.filter(remind=True, cancelled=False).select_related("tenant", "topic")
    for event in upcoming.iterator():
        try:
            due = _due(event, now)
        except Exception:
            log.exception("could not work out the reminders of event %s", event.uid)
            continue
        for occurrence in due:
            # One broken date must not keep the others' subscribers from their reminders. A
            # failed one is tried again by the next sweep, until its occurrence has begun.
            try:
                sent += _remind(event, occurrence)
            except Exception:
                log.exception("reminder of event %s at %s failed", event.uid, occurrence)
    return sent


def _due(event: Event, now: datetime) -> list[datetime]:
    """The occurrences whose reminder time has come and that nobody was reminded of yet."""
    tz = ZoneInfo(event.tenant.timezone)
    window_end = now + LOOKAHEAD + timedelta(days=event.remind_days_before)
    due = []
    for occurrence in rules.occurrences(
        event.starts_at, event.recurrence, event.until, tz, now, window_end
    ):
        if rules.reminder_time(occurrence, event.remind_days_before, event.remind_at, tz) > now:
            continue
        if EventReminder.objects.filter(event=event, occurrence=occurrence).exists():
            continue
        due.append(occurrence)
    return due


def _remind(event: Event, occurrence: datetime) -> int:
    titles, bodies = _texts(event, occurrence)
    try:
        with transaction.atomic():
            reminder = EventReminder.objects.create(event=event, occurrence=occurrence)
            message = messages.create(
                event.tenant,
                {
                    "title": titles,
                    "body": bodies,
                    "severity": "info",
                    "topics": [event.topic.slug],
                    "expires_at": occurrence.isoformat(),
                },
                None,
            )
            reminder.message = message
            reminder.save(update_fields=["message"])
            dispatch.submit(message)
    except IntegrityError:  # another worker reminded of this occurrence a moment ago
        return 0
    log.info("reminded of event %s at %s", event.uid, occurrence)
    return 1


JOBS = {"event_reminders": (timedelta(minutes=1), sweep)}
