"""Quiet hours and language choice: pure rules, no database."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from stadtbote.core.retry import RetryPolicy
from stadtbote.core.severity import Severity
from stadtbote.delivery.rules import held_until, pick_language

BERLIN = ZoneInfo("Europe/Berlin")


def at(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 11, day, hh, mm, tzinfo=BERLIN)


def test_a_message_during_overnight_quiet_hours_waits_until_they_end():
    until = held_until(at(26, 23, 30), "Europe/Berlin", time(22), time(7), Severity.INFO)
    assert until == at(27, 7).astimezone(UTC)


def test_after_midnight_the_same_night_ends_the_same_morning():
    until = held_until(at(27, 2), "Europe/Berlin", time(22), time(7), Severity.MODERATE)
    assert until == at(27, 7).astimezone(UTC)


def test_outside_quiet_hours_nothing_is_held():
    assert held_until(at(26, 12), "Europe/Berlin", time(22), time(7), Severity.INFO) is None
    assert held_until(at(26, 7), "Europe/Berlin", time(22), time(7), Severity.INFO) is None


def test_severe_and_extreme_warnings_pass_quiet_hours():
    for severity in (Severity.SEVERE, Severity.EXTREME):
        assert held_until(at(26, 23), "Europe/Berlin", time(22), time(7), severity) is None


def test_a_daytime_window_is_handled_too():
    assert held_until(at(26, 13), "Europe/Berlin", time(12), time(14), Severity.INFO) == at(
        26, 14
    ).astimezone(UTC)


def test_quiet_hours_follow_local_time_across_the_dst_change():
    # 2026-03-29: clocks go from 02:00 to 03:00 in Berlin; 07:00 local is 05:00 UTC.
    night = datetime(2026, 3, 28, 23, 0, tzinfo=BERLIN)
    assert held_until(night, "Europe/Berlin", time(22), time(7), Severity.INFO) == datetime(
        2026, 3, 29, 5, 0, tzinfo=UTC
    )


@settings(max_examples=300, derandomize=True)
@given(
    now=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
    ),
    start=st.times(),
    end=st.times(),
    severity=st.sampled_from(list(Severity)),
)
def test_a_held_message_is_released_within_a_day_and_never_in_the_past(now, start, end, severity):
    start, end = start.replace(second=0, microsecond=0), end.replace(second=0, microsecond=0)
    until = held_until(now, "Europe/Berlin", start, end, severity)
    if until is None:
        return
    assert severity < Severity.SEVERE
    assert now < until <= now + timedelta(hours=25)
    local = until.astimezone(BERLIN)
    # Released at the end of the window: exactly, or an hour off where `end` falls into the
    # spring DST gap.
    minutes = (local.hour * 60 + local.minute - (end.hour * 60 + end.minute)) % (24 * 60)
    assert minutes in (0, 60)


def test_text_is_in_the_subscribers_language_when_the_message_has_it():
    assert pick_language({"de": "Hallo", "en": "Hello"}, "en", "de") == "en"
    assert pick_language({"de": "Hallo"}, "en", "de") == "de"
    assert pick_language({"en": "Hello"}, "de", "de") == "en"


def test_backoff_grows_is_capped_and_honours_retry_after():
    import random

    policy = RetryPolicy(max_attempts=6, base_delay=5, max_delay=3600)
    rng = random.Random(1)
    delays = [policy.delay(n, rng=rng) for n in range(1, 6)]
    assert all(2.5 <= d <= 5 * 2 ** (n - 1) for n, d in enumerate(delays, start=1))
    assert policy.delay(30, rng=rng) <= 3600
    assert policy.delay(1, retry_after=120, rng=rng) >= 120
    assert policy.delay(1, retry_after=10**9, rng=rng) == 3600
    assert policy.exhausted(6)
    assert not policy.exhausted(5)
