"""Service-level rules, without a database: examples a caseworker would check by hand, and
properties of the working-time calendar."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stadtbote.reports import holidays_de
from stadtbote.reports.sla import (
    Clock,
    Target,
    WorkingTime,
    due,
    elapsed,
    escalation,
    reminder_at,
    share_used,
    within,
)

BERLIN = ZoneInfo("Europe/Berlin")
NRW = WorkingTime(tz=BERLIN, is_holiday=holidays_de.for_land("NW"))
SETTINGS = settings(
    derandomize=True,
    database=None,
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=BERLIN)


def test_a_calendar_target_of_24_hours_is_due_a_day_later():
    assert due(at(2026, 11, 27, 15), Target(24), NRW) == at(2026, 11, 28, 15)


def test_working_hours_skip_the_night_and_the_weekend():
    friday_afternoon = at(2026, 11, 27, 15)  # one working hour left on Friday
    assert due(friday_afternoon, Target(3, Clock.WORKING), NRW) == at(2026, 11, 30, 10)


def test_a_report_at_night_starts_counting_when_the_office_opens():
    assert due(at(2026, 11, 25, 23), Target(1, Clock.WORKING), NRW) == at(2026, 11, 26, 9)


def test_public_holidays_of_the_land_do_not_count():
    # 1 November 2027 (All Saints) is a Monday and a holiday in North Rhine-Westphalia.
    friday = at(2027, 10, 29, 16)
    assert due(friday, Target(8, Clock.WORKING), NRW) == at(2027, 11, 2, 16)
    berlin_office = WorkingTime(tz=BERLIN, is_holiday=holidays_de.for_land("BE"))
    assert due(friday, Target(8, Clock.WORKING), berlin_office) == at(2027, 11, 1, 16)


def test_working_hours_across_the_switch_to_summer_time_stay_local():
    # 29 March 2026 is the Sunday clocks go forward; Monday's office hours are 08:00-16:00 CEST.
    assert due(at(2026, 3, 27, 15), Target(2, Clock.WORKING), NRW) == at(2026, 3, 30, 9)


def test_calendar_hours_are_real_hours_when_the_clocks_change():
    # Saturday 12:00 CET + 24 h = Sunday 13:00 CEST: the night had only 23 hours.
    assert due(at(2026, 3, 28, 12), Target(24), NRW) == at(2026, 3, 29, 13)
    assert elapsed(at(2026, 3, 28, 12), at(2026, 3, 29, 13), Clock.CALENDAR, NRW) == timedelta(
        hours=24
    )


def test_easter_in_nrw_stops_the_clock_from_good_friday_to_easter_monday():
    assert due(at(2027, 3, 25, 15), Target(2, Clock.WORKING), NRW) == at(2027, 3, 30, 9)


def test_the_reminder_comes_at_three_quarters_of_the_time():
    start = at(2026, 11, 23, 8)  # Monday
    assert reminder_at(start, Target(8, Clock.WORKING), NRW) == at(2026, 11, 23, 14)
    assert reminder_at(start, Target(24), NRW) == at(2026, 11, 24, 2)


def test_escalation_reminds_the_department_then_tells_the_head():
    start, target = at(2026, 11, 23, 8), Target(8, Clock.WORKING)
    assert escalation(start, at(2026, 11, 23, 13), target, NRW, answered=False) == (
        escalation(start, start, target, NRW, answered=False)
    )
    late = escalation(start, at(2026, 11, 23, 14), target, NRW, answered=False)
    assert (late.remind_department, late.notify_head) == (True, False)
    breached = escalation(start, at(2026, 11, 24, 9), target, NRW, answered=False)
    assert (breached.remind_department, breached.notify_head) == (True, True)
    done = escalation(start, at(2026, 11, 30), target, NRW, answered=True)
    assert (done.remind_department, done.notify_head) == (False, False)


def test_an_answer_at_the_due_moment_keeps_the_promise_and_a_second_later_does_not():
    start, target = at(2026, 11, 26, 10), Target(24)
    assert within(start, at(2026, 11, 27, 10), target, NRW)
    assert not within(start, at(2026, 11, 27, 10) + timedelta(seconds=1), target, NRW)


def test_naive_times_and_empty_targets_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        due(datetime(2026, 11, 26, 10), Target(1), NRW)
    with pytest.raises(ValueError, match="positive"):
        Target(0)
    with pytest.raises(ValueError, match="start before"):
        WorkingTime(start=NRW.end, end=NRW.start)
    with pytest.raises(ValueError, match="unknown Land"):
        holidays_de.for_land("XX")


starts = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(BERLIN)
)
hours = st.floats(min_value=0.25, max_value=200, allow_nan=False).map(lambda h: round(h * 4) / 4)


@SETTINGS
@given(start=starts, h=hours)
def test_the_working_time_until_the_due_moment_is_exactly_the_target(start, h):
    deadline = due(start, Target(h, Clock.WORKING), NRW)
    assert elapsed(start, deadline, Clock.WORKING, NRW) == timedelta(hours=h)
    assert share_used(start, deadline, Target(h, Clock.WORKING), NRW) == pytest.approx(1.0)


@SETTINGS
@given(start=starts, h=hours)
def test_a_working_deadline_falls_inside_office_hours_on_a_working_day(start, h):
    local = due(start, Target(h, Clock.WORKING), NRW).astimezone(BERLIN)
    assert NRW.is_working_day(local.date())
    assert NRW.start < local.time() <= NRW.end


@SETTINGS
@given(start=starts, a=hours, b=hours)
def test_more_time_never_means_an_earlier_deadline(start, a, b):
    small, large = sorted((a, b))
    for clock in Clock:
        assert due(start, Target(small, clock), NRW) <= due(start, Target(large, clock), NRW)


@SETTINGS
@given(start=starts, h=hours)
def test_working_time_is_never_less_than_calendar_time_would_allow(start, h):
    assert due(start, Target(h, Clock.WORKING), NRW) >= due(start, Target(h), NRW)


@SETTINGS
@given(day=st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)))
def test_no_working_time_is_counted_on_holidays_or_weekends(day):
    start = datetime.combine(day, NRW.start, BERLIN)
    end = datetime.combine(day, NRW.end, BERLIN)
    counted = elapsed(start, end, Clock.WORKING, NRW)
    expected = timedelta(hours=8) if NRW.is_working_day(day) else timedelta(0)
    assert counted == expected
