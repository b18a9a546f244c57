"""Dates in the staff console: publishers add and cancel them; others cannot."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from stadtbote.audit.models import AuditEntry
from stadtbote.messages.models import Event


class Page(HTMLParser):
    """The form for a new date: its inputs and their values by id, the texts of elements with
    an id, and the error summary's links."""

    def __init__(self, html: str):
        super().__init__()
        self.fields: dict[str, dict[str, str]] = {}
        self.values: dict[str, str] = {}
        self.texts: dict[str, str] = {}
        self.summary: list[tuple[str, str]] = []
        self._open: list[tuple[str, str]] = []  # (tag, id) of elements whose text is collected
        self._link: str | None = None
        self._in_summary = False
        self._select = ""
        self.feed(html[html.index('<h2 id="new"') :])

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if a.get("id") == "error-summary":
            self._in_summary = True
        if tag == "a" and self._in_summary:
            self._link = a["href"]
            self.summary.append((a["href"], ""))
        if tag in ("input", "select", "textarea") and "id" in a:
            self.fields[a["id"]] = a
            if tag == "input":
                self.values[a["id"]] = a.get("value", "")
        if tag == "select":
            self._select = a["id"]
        if tag == "option" and "selected" in a:
            self.values[self._select] = a["value"]
        if tag in ("span", "textarea") and "id" in a:
            self._open.append((tag, a["id"]))
            self.texts[a["id"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            _tag, ident = self._open.pop()
            if tag == "textarea":
                self.values[ident] = self.texts.pop(ident)
        if tag == "a":
            self._link = None
        if tag == "div":
            self._in_summary = False

    def handle_data(self, data: str) -> None:
        for _tag, ident in self._open:
            self.texts[ident] += data
        if self._link is not None:
            href, text = self.summary[-1]
            self.summary[-1] = (href, text + data)


def form(**changes):
    start = (timezone.now() + timedelta(days=10)).strftime("%Y-%m-%dT15:00")
    data = {
        "topic": "kita", "title_de": "Sommerfest", "title_en": "", "description_de": "Mit Kuchen",
        "description_en": "", "location": "Kita Sonnenschein", "starts_at": start, "ends_at": "",
        "recurrence": "", "until": "", "remind": "1", "remind_days_before": "1", "remind_at": "17:00",
    }  # fmt: skip
    data.update(changes)
    return data


def test_a_publisher_adds_a_date_with_a_reminder(publisher, tenant):
    response = publisher.post("/musterstadt/staff/events/", form())
    assert response.status_code == 302
    event = Event.objects.get()
    assert (event.topic.slug, event.remind, event.location) == ("kita", True, "Kita Sonnenschein")
    assert event.starts_at.astimezone(timezone.get_current_timezone()).hour == 15
    assert AuditEntry.objects.filter(action="event.create").exists()
    page = publisher.get("/musterstadt/staff/events/").content.decode()
    assert "Sommerfest" in page
    assert "/musterstadt/topics/kita/calendar.ics" in page


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"topic": "gibt-es-nicht"}, "topic"),
        ({"title_de": ""}, "title-de"),
        ({"title_en": "x" * 201}, "title-en"),
        ({"description_de": "x" * 5001}, "description-de"),
        ({"ends_at": "2020-01-01T10:00"}, "ends_at"),
        ({"starts_at": ""}, "starts_at"),
        ({"starts_at": "2020-01-01T10:00"}, "starts_at"),
        ({"recurrence": "daily"}, "recurrence"),
        ({"remind_days_before": "99"}, "remind_days_before"),
    ],
)
def test_mistakes_are_named_and_linked_to_their_field(publisher, tenant, changes, field):
    response = publisher.post("/musterstadt/staff/events/", form(**changes))
    assert response.status_code == 422
    page = Page(response.content.decode())
    [(href, message)] = page.summary
    assert href == f"#{field}"
    assert page.fields[field]["aria-invalid"] == "true"
    assert page.texts[page.fields[field]["aria-describedby"]] == message
    assert [i for i, attrs in page.fields.items() if "aria-invalid" in attrs] == [field]
    assert not Event.objects.exists()


def test_after_a_mistake_the_form_shows_everything_as_typed(publisher, tenant):
    typed = form(
        title_en="Summer fête", description_de="Mit Kuchen & <Kaffee>", recurrence="weekly",
        starts_at="2027-06-12T15:00", ends_at="2027-06-12T14:00", until="2027-08-28",
        remind="", remind_days_before="2", remind_at="09:30",
    )  # fmt: skip
    response = publisher.post("/musterstadt/staff/events/", typed)
    assert response.status_code == 422
    values = Page(response.content.decode()).values
    assert values == {
        "topic": "kita",
        "title-de": "Sommerfest",
        "description-de": "Mit Kuchen & <Kaffee>",
        "title-en": "Summer fête",
        "description-en": "",
        "location": "Kita Sonnenschein",
        "starts_at": "2027-06-12T15:00",
        "ends_at": "2027-06-12T14:00",
        "recurrence": "weekly",
        "until": "2027-08-28",
        "remind": "1",
        "remind_days_before": "2",
        "remind_at": "09:30",
    }
    assert "checked" not in Page(response.content.decode()).fields["remind"]  # unticked


def test_a_new_form_starts_with_a_reminder_the_day_before_at_five(publisher, tenant):
    page = Page(publisher.get("/musterstadt/staff/events/").content.decode())
    assert "checked" in page.fields["remind"]
    assert (page.values["remind_days_before"], page.values["remind_at"]) == ("1", "17:00")
    assert not page.summary


def test_a_reminder_that_would_come_after_the_start_is_refused(publisher, tenant):
    response = publisher.post(
        "/musterstadt/staff/events/", form(remind_days_before="0", remind_at="17:00")
    )
    assert response.status_code == 422
    page = Page(response.content.decode())
    [(href, message)] = page.summary
    assert href == "#remind_at"
    assert "after the start" in message
    assert page.fields["remind_at"]["aria-invalid"] == "true"
    assert not Event.objects.exists()


def test_a_reminder_that_would_come_after_each_start_of_a_series_is_refused(publisher, tenant):
    changes = {"recurrence": "weekly", "remind_days_before": "0", "remind_at": "15:00"}
    response = publisher.post("/musterstadt/staff/events/", form(**changes))
    assert response.status_code == 422
    assert not Event.objects.exists()


def test_a_reminder_on_the_same_day_before_the_start_is_fine(publisher, tenant):
    response = publisher.post(
        "/musterstadt/staff/events/", form(remind_days_before="0", remind_at="08:00")
    )
    assert response.status_code == 302
    assert Event.objects.get().remind_days_before == 0


def test_without_a_reminder_its_time_does_not_matter(publisher, tenant):
    response = publisher.post(
        "/musterstadt/staff/events/", form(remind="", remind_days_before="0", remind_at="17:00")
    )
    assert response.status_code == 302
    assert Event.objects.get().remind is False


def test_cancelling_keeps_the_date_marked_as_cancelled(publisher, tenant):
    publisher.post("/musterstadt/staff/events/", form())
    event = Event.objects.get()
    publisher.post(f"/musterstadt/staff/events/{event.uid}/cancel")
    event.refresh_from_db()
    assert (event.cancelled, event.remind) == (True, False)


def test_case_workers_and_other_towns_cannot_touch_dates(caseworker, other_town_worker, tenant):
    assert caseworker.get("/musterstadt/staff/events/").status_code == 403
    assert caseworker.post("/musterstadt/staff/events/", form()).status_code == 403
    assert other_town_worker.get("/musterstadt/staff/events/").status_code == 404
    assert not Event.objects.exists()
