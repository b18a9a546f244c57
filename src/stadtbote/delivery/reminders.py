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

log = logging.getLogger(__name__)
LOOKAHEAD = timedelta(days=31)  # reminders at most a month ahead are looked for


def _texts(event: Event, occurrence: datetime) -> tuple[dict[str, str], dict[str, str]]:
    tz = ZoneInfo(event.tenant.timezone)
    titles, bodies = {}, {}
    for lang, title in event.title.items():
        with translation.override(lang):
            when = formats.date_format(occurrence.astimezone(tz), "DATETIME_FORMAT")
            titles[lang] = (_("Reminder: %(title)s") % {"title": title})[:200]
            parts = [when]
            if event.location:
                parts.append(event.location)
            body = ", ".join(parts) + "."
            extra = event.description.get(lang, "")
            bodies[lang] = f"{body}\n{extra}".strip()
    return titles, bodies


def sweep(now: datetime | None = None) -> int:
    """Send the reminders that are due now; returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    upcoming = Event.objects.filter(remind=True, cancelled=False).select_related("tenant", "topic")
    for event in upcoming.iterator():
        tz = ZoneInfo(event.tenant.timezone)
        window_end = now + LOOKAHEAD + timedelta(days=event.remind_days_before)
        for occurrence in rules.occurrences(
            event.starts_at, event.recurrence, event.until, tz, now, window_end
        ):
            due = rules.reminder_time(occurrence, event.remind_days_before, event.remind_at, tz)
            if due > now:
                continue
            if EventReminder.objects.filter(event=event, occurrence=occurrence).exists():
                continue
            sent += _remind(event, occurrence)
    return sent


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
