"""The published numbers, computed without a database."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from stadtbote.reports.stats import CaseTimes, median, percentile, table, to_csv

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 11, 2, 9, tzinfo=BERLIN)
NOW = datetime(2026, 12, 15, 12, tzinfo=BERLIN)


def case(cat: str, answer_h: float | None, resolve_h: float | None = None, start=T0) -> CaseTimes:
    return CaseTimes(
        category=cat,
        created_at=start,
        first_response_due=start + timedelta(hours=24),
        first_response_at=start + timedelta(hours=answer_h) if answer_h is not None else None,
        resolved_at=start + timedelta(hours=resolve_h) if resolve_h is not None else None,
    )


def test_the_share_counts_answers_in_time_against_answers_late_and_overdue_silence():
    rows = table(
        [
            case("schlagloch", 2, 50),
            case("schlagloch", 30),  # answered late
            case("schlagloch", None),  # never answered, long overdue
            case("muell", 5, 10),
            case("muell", None, start=NOW - timedelta(hours=1)),  # still within its 24 h
        ],
        NOW,
        BERLIN,
    )
    by = {(r.month, r.category): r for r in rows}
    pothole = by[("2026-11", "schlagloch")]
    assert (pothole.reports, pothole.in_time, pothole.late, pothole.pending) == (3, 1, 2, 0)
    assert pothole.share_in_time == 1 / 3
    assert (pothole.first_answer_median_h, pothole.first_answer_p90_h) == (16.0, 30.0)
    assert pothole.resolution_median_h == 50.0
    december = by[("2026-12", "muell")]
    assert (december.pending, december.share_in_time) == (1, None)
    assert by[("2026-11", "*")].reports == 4


def test_nearest_rank_percentiles_and_medians():
    assert percentile([5, 1, 3, 2, 4, 6, 7, 8, 9, 10], 90) == 9
    assert percentile([], 90) is None
    assert (median([1, 3]), median([3, 1, 2]), median([])) == (2, 2, None)


def test_the_csv_has_a_header_and_one_line_per_month_and_category():
    text = to_csv(table([case("schlagloch", 2)], NOW, BERLIN))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["category"] for r in rows] == ["*", "schlagloch"]
    assert rows[1]["share_in_time"] == "1.0"
    assert rows[1]["resolution_median_h"] == ""


answers = st.lists(st.one_of(st.none(), st.floats(min_value=0, max_value=500)), max_size=40)


@settings(derandomize=True, database=None)
@given(answers)
def test_the_share_is_a_fraction_and_every_report_is_counted_once(hours):
    rows = table([case("x", h) for h in hours], NOW, BERLIN)
    for row in rows:
        assert row.in_time + row.late + row.pending == row.reports
        assert row.share_in_time is None or 0 <= row.share_in_time <= 1
        if row.first_answer_median_h is not None:
            assert row.first_answer_median_h <= (row.first_answer_p90_h or 0) + 1e-9
