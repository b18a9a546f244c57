"""Dates of events and their reminders (pure). Times recur on the town's wall clock: a fête
at 15:00 stays at 15:00 across the change to summer time."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil import rrule

FREQ = {"weekly": rrule.WEEKLY, "monthly": rrule.MONTHLY, "yearly": rrule.YEARLY}
MAX_OCCURRENCES = 400  # per window: a weekly series over almost eight years; enough for any feed


def occurrences(
    starts_at: datetime,
    recurrence: str,
    until: date | None,
    tz: ZoneInfo,
    after: datetime,
    before: datetime,
) -> list[datetime]:
    """The starts of an event between ``after`` and ``before`` (aware datetimes, UTC-safe)."""
    local = starts_at.astimezone(tz).replace(tzinfo=None)
    if recurrence not in FREQ:
        return [starts_at] if after <= starts_at < before else []
    end = datetime.combine(until, time.max) if until else None
    # A series that began years ago would otherwise be walked from its first date on every
    # call. The day, weekday and month are pinned to the first date's, so starting the rule
    # a day before the window (a day covers any difference of offsets) yields the same dates.
    skip_to = (after.astimezone(tz) - timedelta(days=1)).replace(tzinfo=None)
    first = max(local, datetime.combine(skip_to.date(), local.time()))
    rule = rrule.rrule(
        FREQ[recurrence],
        dtstart=first,
        until=end,
        byweekday=local.weekday() if recurrence == "weekly" else None,
        bymonthday=local.day if recurrence != "weekly" else None,
        bymonth=local.month if recurrence == "yearly" else None,
    )
    found: list[datetime] = []
    for start in rule:
        aware = start.replace(tzinfo=tz)
        if aware >= before or len(found) >= MAX_OCCURRENCES:
            break
        if aware >= after:
            found.append(aware)
    return found


def reminder_time(occurrence: datetime, days_before: int, at: time, tz: ZoneInfo) -> datetime:
    """The day(s) before, at the given wall-clock time in the town."""
    day = occurrence.astimezone(tz).date() - timedelta(days=days_before)
    return datetime.combine(day, at, tzinfo=tz)
