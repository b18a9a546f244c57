"""What the staff console's polling may replace: never an element that can hold the focus, and
never a live region that would read every refresh aloud."""

from __future__ import annotations

import re

from stadtbote.delivery import dispatch
from stadtbote.messages.models import Message
from tests.browser.fixtures import publish
from tests.staff.conftest import report

POLL = {"HTTP_HX_REQUEST": "true", "HTTP_X_STADTBOTE_POLL": "1"}
FOCUSABLE = re.compile(r"<(a|button|input|select|textarea)\b|tabindex=")


def element(page: str, element_id: str) -> str:
    """The element with this id, start to end tag (elements of the same name nested in it
    are counted)."""
    start = re.search(rf'<([a-z0-9]+) [^>]*\bid="{re.escape(element_id)}"', page)
    assert start, f"no element #{element_id}"
    name, depth = start.group(1), 0
    for m in re.finditer(rf"<(/?){name}\b[^>]*>", page[start.start() :]):
        depth += -1 if m.group(1) else 1
        if depth == 0:
            return page[start.start() : start.start() + m.end()]
    raise AssertionError(f"#{element_id} is not closed")


def swapped_by(poller: str) -> list[str]:
    found = re.search(r'hx-select-oob="([^"]*)"', poller)
    assert found, poller
    return [part.split(":")[0].lstrip("#") for part in found.group(1).split(",")]


def sending(tenant) -> Message:
    message = publish(tenant, "Sperrung Lange Straße")
    dispatch.submit(message)
    message.refresh_from_db()
    assert message.status == "published"
    return message


def test_the_sending_is_followed_without_replacing_anything_focusable(publisher, tenant):
    message = sending(tenant)
    url = f"/musterstadt/staff/messages/{message.pk}"
    page = publisher.get(url).content.decode()
    poller = element(page, "follow")
    assert 'hx-trigger="every 3s"' in poller
    assert 'hx-swap="none"' in poller
    parts = swapped_by(poller)
    assert parts == ["follow", "follow-table", "follow-more"]
    polled = publisher.get(url, HTTP_HX_TARGET="follow", **POLL).content.decode()
    for part in parts:
        swapped = element(polled, part)
        assert not FOCUSABLE.search(swapped), swapped
        assert "aria-live" not in swapped
        assert 'role="status"' not in swapped
    # The scrollable table's region (focusable) stays; the table inside it is swapped.
    assert 'tabindex="0"' in page.split('id="follow-table"')[0].rsplit("<div", 1)[1]
    news = element(page, "follow-news")
    assert 'role="status"' in news
    assert "></p>" in news


def test_a_withdrawn_message_is_not_polled(publisher, tenant):
    message = sending(tenant)
    dispatch.cancel(message)
    page = publisher.get(f"/musterstadt/staff/messages/{message.pk}").content.decode()
    assert "hx-trigger" not in element(page, "follow")


def test_the_queue_poll_only_fetches_a_fingerprint_of_the_list(caseworker, tenant):
    report(tenant)
    page = caseworker.get("/musterstadt/staff/cases/?state=open&page=1").content.decode()
    poller = element(page, "queue-poll")
    assert 'hx-swap="none"' in poller
    assert 'hx-target="#queue-results"' in poller
    assert 'hx-get="/musterstadt/staff/cases/?state=open&amp;page=1"' in poller
    assert swapped_by(poller) == ["queue-latest"]
    results = element(page, "queue-results")
    assert "hx-trigger" not in results.split(">", 1)[0]  # the list itself is not polled
    polled = caseworker.get(
        "/musterstadt/staff/cases/?state=open", HTTP_HX_TARGET="queue-results", **POLL
    ).content.decode()
    latest = element(polled, "queue-latest")
    assert not FOCUSABLE.search(latest)
    # The offer of the new list lives outside the list, empty until it has changed.
    assert 'id="queue-news" role="status"' in page.split('id="queue-results"')[0]
    assert "hidden>" in element(page, "queue-refresh")


def test_the_fingerprint_changes_with_the_list(caseworker, tenant):
    case = report(tenant)

    def stamp() -> str:
        page = caseworker.get("/musterstadt/staff/cases/").content.decode()
        found = re.search(r'id="queue-latest" hidden data-stamp="([^"]*)"', page)
        assert found
        return found.group(1)

    before = stamp()
    assert stamp() == before
    case.updated_at = case.updated_at.replace(year=case.updated_at.year + 1)
    case.save(update_fields=["updated_at"])
    changed = stamp()
    assert changed != before
    report(tenant)
    assert stamp() != changed
