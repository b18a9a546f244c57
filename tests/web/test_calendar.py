"""A topic's calendar feed: valid iCalendar with series and cancellations, on the town's wall
clock (TZID and VTIMEZONE), cacheable."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from dateutil.rrule import rrulestr

from stadtbote.messages.models import Event
from stadtbote.tenants.models import Topic

BERLIN = ZoneInfo("Europe/Berlin")


def test_the_feed_lists_the_topics_dates_with_their_rules(client, tenant):
    kita = Topic.objects.get(tenant=tenant, slug="kita")
    Event.objects.create(
        tenant=tenant, topic=kita, title={"de": "Elternabend"}, recurrence="monthly",
        starts_at=datetime(2027, 1, 12, 19, tzinfo=BERLIN), location="Kita Sonnenschein",
    )  # fmt: skip
    Event.objects.create(
        tenant=tenant, topic=kita, title={"de": "Sommerfest"}, cancelled=True,
        starts_at=datetime(2027, 6, 12, 15, tzinfo=BERLIN),
    )  # fmt: skip
    response = client.get("/musterstadt/topics/kita/calendar.ics")
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "max-age=900" in response["Cache-Control"]
    cal = icalendar.Calendar.from_ical(response.content)
    events = {str(e["summary"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {"Elternabend", "Sommerfest"}
    assert events["Elternabend"]["rrule"]["FREQ"] == ["MONTHLY"]
    assert str(events["Sommerfest"]["status"]) == "CANCELLED"
    assert events["Elternabend"].decoded("dtstart") == datetime(2027, 1, 12, 19, tzinfo=BERLIN)


def test_an_unknown_topic_has_no_feed(client, tenant):
    assert client.get("/musterstadt/topics/gibt-es-nicht/calendar.ics").status_code == 404


def test_the_town_page_links_the_calendars_of_topics_with_dates(client, tenant):
    assert "calendar.ics" not in client.get("/musterstadt/").content.decode()
    Event.objects.create(
        tenant=tenant, topic=Topic.objects.get(tenant=tenant, slug="kita"),
        title={"de": "Elternabend"}, starts_at=datetime(2027, 1, 12, 19, tzinfo=BERLIN),
    )  # fmt: skip
    page = client.get("/musterstadt/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'href="/musterstadt/topics/kita/calendar.ics"' in page


def test_a_weekly_date_stays_at_three_oclock_in_calendar_apps_across_summer_time(client, tenant):
    Event.objects.create(
        tenant=tenant, topic=Topic.objects.get(tenant=tenant, slug="kita"),
        title={"de": "Kinderturnen"}, recurrence="weekly", until=date(2027, 4, 3),
        starts_at=datetime(2027, 3, 20, 15, tzinfo=BERLIN),
    )  # fmt: skip
    feed = client.get("/musterstadt/topics/kita/calendar.ics").content
    assert b"DTSTART;TZID=Europe/Berlin:20270320T150000" in feed
    assert b"DTEND;TZID=Europe/Berlin:20270320T160000" in feed
    cal = icalendar.Calendar.from_ical(feed)
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    event = cal.walk("VEVENT")[0]
    assert event["dtstart"].params["TZID"] == "Europe/Berlin"
    until = event["rrule"]["UNTIL"][0]
    assert until == datetime(2027, 4, 3, 21, 59, 59, tzinfo=UTC)  # end of the day in summer time
    assert until.utcoffset() == timedelta(0)
    expanded = rrulestr(event["rrule"].to_ical().decode(), dtstart=event.decoded("dtstart"))
    assert [o.astimezone(BERLIN).strftime("%d.%m. %H:%M %Z") for o in expanded] == [
        "20.03. 15:00 CET",
        "27.03. 15:00 CET",
        "03.04. 15:00 CEST",
    ]


def test_a_series_ends_with_the_last_day_in_the_town_whatever_the_servers_zone(
    client, tenant, monkeypatch
):
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    try:
        Event.objects.create(
            tenant=tenant, topic=Topic.objects.get(tenant=tenant, slug="kita"),
            title={"de": "Elternabend"}, recurrence="monthly", until=date(2027, 1, 12),
            starts_at=datetime(2026, 12, 12, 19, tzinfo=BERLIN),
        )  # fmt: skip
        feed = client.get("/musterstadt/topics/kita/calendar.ics").content
    finally:
        monkeypatch.undo()
        time.tzset()
    assert b"UNTIL=20270112T225959Z" in feed
