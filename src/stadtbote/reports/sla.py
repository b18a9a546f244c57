"""Service levels as pure functions (after Signalen's ``deadlines``): when is an answer due,
how much of the time is used, when to remind and escalate. No database, no Django.

Times are timezone-aware datetimes; working hours are counted in the tenant's local time
(DST-correct through ``zoneinfo``), on working days that are not public holidays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

MAX_DAYS_SEARCHED = 3660  # a target of years of working time is a configuration error

REMIND_AT = 0.75  # the department is reminded at 75 % of the time


class Clock(StrEnum):
    CALENDAR = "calendar"
    WORKING = "working"


def _no_holidays(_: date) -> bool:
    return False


@dataclass(frozen=True)
class WorkingTime:
    """When the town works: weekdays (Monday = 0), opening hours, and its public holidays."""

    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Berlin"))
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    start: time = time(8, 0)
    end: time = time(16, 0)
    is_holiday: Callable[[date], bool] = _no_holidays

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError("working hours must start before they end")
        if not self.weekdays or not self.weekdays <= set(range(7)):
            raise ValueError("weekdays must be a non-empty subset of 0..6")

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and not self.is_holiday(day)

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The working window of a local day as aware datetimes, or None on days off."""
        if not self.is_working_day(day):
            return None
        return (
            datetime.combine(day, self.start, self.tz),
            datetime.combine(day, self.end, self.tz),
        )


@dataclass(frozen=True)
class Target:
    hours: float
    clock: Clock = Clock.CALENDAR

    def __post_init__(self) -> None:
        if not self.hours > 0:
            raise ValueError("a service level needs a positive number of hours")


def due(start: datetime, target: Target, work: WorkingTime) -> datetime:
    """The moment the target's time runs out for something that arrived at ``start``."""
    _aware(start)
    if target.clock is Clock.CALENDAR:
        # In UTC: Python adds to an aware datetime's wall time, and a day with a clock change
        # has 23 or 25 hours.
        return (start.astimezone(UTC) + timedelta(hours=target.hours)).astimezone(start.tzinfo)
    remaining = timedelta(hours=target.hours)
    day = start.astimezone(work.tz).date()
    for _ in range(MAX_DAYS_SEARCHED):
        window = work.window(day)
        if window is not None:
            begin, end = max(window[0], start), window[1]
            if begin < end:
                available = end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += timedelta(days=1)
    raise ValueError("no working time found within ten years; check the working days")


def elapsed(start: datetime, end: datetime, clock: Clock, work: WorkingTime) -> timedelta:
    """Time counted against a target between ``start`` and ``end`` (zero if end is earlier)."""
    _aware(start)
    _aware(end)
    if end <= start:
        return timedelta(0)
    if clock is Clock.CALENDAR:
        return end.astimezone(UTC) - start.astimezone(UTC)
    total = timedelta(0)
    day = start.astimezone(work.tz).date()
    last = end.astimezone(work.tz).date()
    while day <= last:
        window = work.window(day)
        if window is not None:
            begin, finish = max(window[0], start), min(window[1], end)
            if begin < finish:
                total += finish - begin
        day += timedelta(days=1)
    return total


def share_used(start: datetime, now: datetime, target: Target, work: WorkingTime) -> float:
    """How much of the target's time has passed (1.0 = due now, above = breached)."""
    used = elapsed(start, now, target.clock, work)
    return used / timedelta(hours=target.hours)


def reminder_at(start: datetime, target: Target, work: WorkingTime) -> datetime:
    """When the department gets its reminder (at 75 % of the time)."""
    return due(start, Target(target.hours * REMIND_AT, target.clock), work)


@dataclass(frozen=True)
class Escalation:
    remind_department: bool
    notify_head: bool


def escalation(
    start: datetime,
    now: datetime,
    target: Target,
    work: WorkingTime,
    answered: bool,
) -> Escalation:
    """What is due now for a case that is (not yet) answered."""
    if answered:
        return Escalation(False, False)
    share = share_used(start, now, target, work)
    return Escalation(remind_department=share >= REMIND_AT, notify_head=share >= 1.0)


def within(start: datetime, answered_at: datetime, target: Target, work: WorkingTime) -> bool:
    """Whether an answer given at ``answered_at`` kept the promise."""
    return answered_at <= due(start, target, work)


def _aware(value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("service-level times must be timezone-aware")
