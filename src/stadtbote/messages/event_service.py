"""Checking and storing events (dates for a topic's subscribers)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from stadtbote.core.errors import InvalidInput
from stadtbote.messages.events import reminder_time
from stadtbote.messages.models import Event, Recurrence
from stadtbote.messages.service import MAX_BODY, MAX_TITLE, texts
from stadtbote.tenants.models import Municipality, Topic


def _local(value: Any, tz: ZoneInfo, field: str, required: bool = True) -> datetime | None:
    if not value:
        if required:
            raise InvalidInput("needs a date and time", field=field)
        return None
    try:
        return datetime.fromisoformat(str(value)).replace(tzinfo=tz)
    except ValueError:
        raise InvalidInput("needs a date and time", field=field) from None


def create_event(tenant: Municipality, data: dict[str, Any], user: Any = None) -> Event:
    """``data`` with wall-clock times in the town (as a datetime-local form sends them)."""
    tz = ZoneInfo(tenant.timezone)
    topic = Topic.objects.filter(tenant=tenant, slug=str(data.get("topic") or "")).first()
    if topic is None:
        raise InvalidInput("choose a topic", field="topic")
    title = texts(tenant, data.get("title"), "title", MAX_TITLE)
    description = (
        texts(tenant, data["description"], "description", MAX_BODY)
        if data.get("description")
        else {}
    )
    starts_at = _local(data.get("starts_at"), tz, "starts_at")
    ends_at = _local(data.get("ends_at"), tz, "ends_at", required=False)
    assert starts_at is not None
    if ends_at is not None and ends_at <= starts_at:
        raise InvalidInput("must be after the start", field="ends_at")
    recurrence = str(data.get("recurrence") or "")
    if recurrence not in Recurrence.values:
        raise InvalidInput("once, weekly, monthly or yearly", field="recurrence")
    until: date | None = None
    if data.get("until"):
        try:
            until = date.fromisoformat(str(data["until"]))
        except ValueError:
            raise InvalidInput("needs a date", field="until") from None
        if until < starts_at.date():
            raise InvalidInput("must not be before the first date", field="until")
    if not recurrence and starts_at < timezone.now():
        raise InvalidInput("lies in the past", field="starts_at")
    try:
        days = int(data.get("remind_days_before", 1))
        at = time.fromisoformat(str(data.get("remind_at") or "17:00"))
    except ValueError:
        raise InvalidInput("a number of days and a time", field="remind_at") from None
    if not 0 <= days <= 30:
        raise InvalidInput("between 0 and 30 days", field="remind_days_before")
    remind = bool(data.get("remind"))
    # Every occurrence keeps the first one's wall-clock time, so checking the first date
    # covers a series as well; such a reminder would otherwise silently never be sent.
    if remind and reminder_time(starts_at, days, at, tz) >= starts_at:
        raise InvalidInput(
            "the reminder would come after the start; choose an earlier time or more days before",
            field="remind_at",
        )
    return Event.objects.create(
        tenant=tenant,
        topic=topic,
        title=title,
        description=description,
        location=str(data.get("location") or "").strip()[:200],
        starts_at=starts_at,
        ends_at=ends_at,
        recurrence=recurrence,
        until=until,
        remind=remind,
        remind_days_before=days,
        remind_at=at,
        created_by=user,
    )
