"""Inbox order as a pure rule: valid urgent warnings first, then newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from stadtbote.core.severity import Severity
from stadtbote.delivery.inbox_rules import order_entries

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SETTINGS = settings(derandomize=True, deadline=None, database=None)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_valid_severe_and_extreme_warnings_come_first_whatever_their_age():
    items = [
        ("news", Severity.INFO, False, at(30)),
        ("severe", Severity.SEVERE, False, at(0)),
        ("moderate", Severity.MODERATE, False, at(20)),
        ("extreme", Severity.EXTREME, False, at(-60)),
    ]
    assert order_entries(items) == ["severe", "extreme", "news", "moderate"]


def test_a_withdrawn_severe_warning_does_not_stay_on_top():
    items = [
        ("withdrawn", Severity.EXTREME, True, at(10)),
        ("valid", Severity.SEVERE, False, at(0)),
        ("news", Severity.INFO, False, at(5)),
    ]
    assert order_entries(items) == ["valid", "withdrawn", "news"]


def test_everything_else_is_newest_first_and_unpublished_last():
    items = [
        ("old", Severity.MINOR, False, at(0)),
        ("never", Severity.INFO, False, None),
        ("new", Severity.INFO, False, at(10)),
        ("middle", Severity.MODERATE, True, at(5)),
    ]
    assert order_entries(items) == ["new", "middle", "old", "never"]


def test_a_tie_is_broken_by_id_so_the_order_is_stable():
    items = [(mid, Severity.INFO, False, at(0)) for mid in ("c", "a", "b")]
    assert order_entries(items) == ["a", "b", "c"]
    assert order_entries(reversed(items)) == ["a", "b", "c"]


def test_no_items_give_an_empty_inbox():
    assert order_entries([]) == []


item = st.tuples(
    st.uuids().map(str),
    st.sampled_from(list(Severity)),
    st.booleans(),
    st.one_of(st.none(), st.integers(-10_000, 10_000).map(at)),
)


@SETTINGS
@given(st.lists(item, max_size=30, unique_by=lambda i: i[0]))
def test_the_order_is_a_permutation_with_every_urgent_entry_before_the_rest(items):
    ordered = order_entries(items)
    assert sorted(ordered) == sorted(i[0] for i in items)
    urgent = {mid for mid, sev, withdrawn, _ in items if sev >= Severity.SEVERE and not withdrawn}
    flags = [mid in urgent for mid in ordered]
    assert flags == sorted(flags, reverse=True)
    assert order_entries(list(reversed(items))) == ordered
