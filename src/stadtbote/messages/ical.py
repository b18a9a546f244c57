"""A topic's events as an iCalendar feed (RFC 5545) that calendar apps subscribe to."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar

from stadtbote.messages.models import Event

RRULE_FREQ = {"weekly": "WEEKLY", "monthly": "MONTHLY", "yearly": "YEARLY"}


def _text(value: dict[str, str], language: str, default: str) -> str:
    return value.get(language) or value.get(default) or next(iter(value.values()), "")


def calendar(
    name: str, events: Iterable[Event], language: str, default: str, url: str, host: str
) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Stadtbote//Termine//DE")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("refresh-interval;value=duration", "PT6H")
    cal.add("x-published-ttl", "PT6H")
    zones: dict[int, ZoneInfo] = {}
    for event in events:
        if event.tenant_id not in zones:
            zones[event.tenant_id] = ZoneInfo(event.tenant.timezone)
        # In the town's zone with its TZID, not in UTC: a weekly date at 15:00 must stay at
        # 15:00 in calendar apps after the change to summer time.
        tz = zones[event.tenant_id]
        item = icalendar.Event()
        item.add("uid", f"{event.uid}@{host}")
        item.add("dtstamp", event.updated_at)
        item.add("summary", _text(event.title, language, default))
        description = _text(event.description, language, default) if event.description else ""
        if description:
            item.add("description", description)
        if event.location:
            item.add("location", event.location)
        item.add("dtstart", event.starts_at.astimezone(tz))
        item.add("dtend", (event.ends_at or event.starts_at + timedelta(hours=1)).astimezone(tz))
        if event.recurrence in RRULE_FREQ:
            rule: dict[str, object] = {"freq": RRULE_FREQ[event.recurrence]}
            if event.until:
                # RFC 5545 wants UNTIL in UTC when DTSTART has a TZID; the series ends with
                # the town's last day, not the server's.
                last = datetime.combine(event.until, time(23, 59, 59), tzinfo=tz)
                rule["until"] = last.astimezone(UTC)
            item.add("rrule", rule)
        if event.cancelled:
            item.add("status", "CANCELLED")
        item.add("url", url)
        cal.add_component(item)
    cal.add_missing_timezones()
    return cal.to_ical()
