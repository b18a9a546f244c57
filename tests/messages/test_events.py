"""Event dates and reminder times: on the town's wall clock, across summer time, within the
series' end."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from stadtbote.messages.events import occurrences, reminder_time

BERLIN = ZoneInfo("Europe/Berlin")


def test_a_weekly_fete_stays_at_three_oclock_across_the_change_to_summer_time():
    first = datetime(2027, 3, 20, 15, tzinfo=BERLIN)
    found = occurrences(first, "weekly", None, BERLIN, first, datetime(2027, 4, 5, tzinfo=UTC))
    assert [o.astimezone(BERLIN).strftime("%d.%m. %H:%M") for o in found] == [
        "20.03. 15:00",
        "27.03. 15:00",
        "03.04. 15:00",
    ]
    assert found[0].utcoffset() != found[-1].utcoffset()


def test_a_series_ends_on_its_last_day():
    first = datetime(2026, 12, 1, 9, tzinfo=BERLIN)
    found = occurrences(
        first, "monthly", date(2027, 2, 1), BERLIN, first, datetime(2028, 1, 1, tzinfo=UTC)
    )
    assert [o.month for o in found] == [12, 1, 2]


def test_a_single_date_counts_only_inside_the_window():
    when = datetime(2026, 12, 24, 16, tzinfo=BERLIN)
    assert occurrences(when, "", None, BERLIN, when, datetime(2027, 1, 1, tzinfo=UTC)) == [when]
    assert (
        occurrences(
            when,
            "",
            None,
            BERLIN,
            datetime(2027, 1, 1, tzinfo=UTC),
            datetime(2028, 1, 1, tzinfo=UTC),
        )
        == []
    )


def test_the_reminder_comes_the_day_before_at_five_in_the_afternoon_local_time():
    fete = datetime(2027, 6, 12, 14, tzinfo=BERLIN)
    assert reminder_time(fete, 1, time(17), BERLIN) == datetime(2027, 6, 11, 17, tzinfo=BERLIN)
    assert reminder_time(fete, 0, time(8), BERLIN) == datetime(2027, 6, 12, 8, tzinfo=BERLIN)
