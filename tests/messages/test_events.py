"""Event dates and reminder times: on the town's wall clock, across summer time, within the
series' end."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from stadtbote.messages.events import MAX_OCCURRENCES, occurrences, reminder_time

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


def test_a_weekly_series_that_began_ten_years_ago_still_has_its_dates_this_month():
    first = datetime(2016, 11, 29, 15, tzinfo=BERLIN)  # a Tuesday
    now = datetime(2026, 11, 27, 9, tzinfo=UTC)
    found = occurrences(first, "weekly", None, BERLIN, now, datetime(2026, 12, 28, tzinfo=UTC))
    assert [o.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M") for o in found] == [
        "01.12.2026 15:00",
        "08.12.2026 15:00",
        "15.12.2026 15:00",
        "22.12.2026 15:00",
    ]


def test_the_limit_counts_only_the_dates_inside_the_window():
    first = datetime(2016, 11, 29, 15, tzinfo=BERLIN)
    now = datetime(2026, 11, 27, 9, tzinfo=UTC)
    found = occurrences(first, "weekly", None, BERLIN, now, datetime(2046, 1, 1, tzinfo=UTC))
    assert len(found) == MAX_OCCURRENCES
    assert found[0] == datetime(2026, 12, 1, 15, tzinfo=BERLIN)


def test_an_old_monthly_series_on_the_31st_keeps_skipping_the_shorter_months():
    first = datetime(2019, 1, 31, 19, tzinfo=BERLIN)
    now = datetime(2026, 11, 27, 9, tzinfo=UTC)
    found = occurrences(first, "monthly", None, BERLIN, now, datetime(2027, 6, 1, tzinfo=UTC))
    assert [o.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M") for o in found] == [
        "31.12.2026 19:00",
        "31.01.2027 19:00",
        "31.03.2027 19:00",
        "31.05.2027 19:00",
    ]


def test_an_old_yearly_series_keeps_its_day_and_its_end():
    first = datetime(2012, 2, 29, 10, tzinfo=BERLIN)
    now = datetime(2026, 11, 27, 9, tzinfo=UTC)
    found = occurrences(
        first, "yearly", date(2032, 12, 31), BERLIN, now, datetime(2040, 1, 1, tzinfo=UTC)
    )
    assert [o.astimezone(BERLIN).date() for o in found] == [date(2028, 2, 29), date(2032, 2, 29)]
