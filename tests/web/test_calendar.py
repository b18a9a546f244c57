"""A topic's calendar feed: valid iCalendar with series and cancellations, cacheable."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar

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
