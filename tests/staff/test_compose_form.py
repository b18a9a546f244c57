"""The compose form after a refusal comes back as it was sent, the time of sending included;
its character counts are hints, not live regions that speak on every keystroke."""

from __future__ import annotations

import re
from typing import Any

from stadtbote.messages.models import Message


def form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title_de": "Wasser abgestellt",
        "body_de": "Bis 18 Uhr kein Wasser.",
        "severity": "info",
        "topic": ["strassensperrungen"],
        "target": "town",
        "channel": ["webpush", "email"],
        "when": "later",
        "send_at": "2031-05-01T08:30",
        "expires_at": "2031-05-02T18:00",
    }
    data.update(changes)
    return data


def tag(page: str, element_id: str) -> str:
    found = re.search(rf'<[a-z]+ [^>]*\bid="{re.escape(element_id)}"[^>]*>', page)
    assert found, f"no element #{element_id}"
    return found.group(0)


def test_a_refused_form_keeps_when_to_send_and_until_when_it_is_valid(publisher):
    response = publisher.post("/musterstadt/staff/messages/new", form(channel=[]))
    assert response.status_code == 422
    page = response.content.decode()
    assert "Choose at least one channel." in page
    assert " checked" in tag(page, "when-later")
    assert " checked" not in tag(page, "when-now")
    assert 'value="2031-05-01T08:30"' in tag(page, "send_at")
    assert 'value="2031-05-02T18:00"' in tag(page, "expires_at")
    assert not Message.objects.exists()


def test_a_refused_form_sent_now_stays_on_now(publisher):
    response = publisher.post(
        "/musterstadt/staff/messages/new", form(when="now", send_at="", channel=[])
    )
    page = response.content.decode()
    assert " checked" in tag(page, "when-now")
    assert " checked" not in tag(page, "when-later")
    assert 'value=""' in tag(page, "send_at")


def test_a_missing_time_of_sending_is_refused_with_the_expiry_kept(publisher):
    response = publisher.post("/musterstadt/staff/messages/new", form(send_at=""))
    assert response.status_code == 422
    page = response.content.decode()
    assert 'href="#when"' in page
    assert " checked" in tag(page, "when-later")
    assert 'value="2031-05-02T18:00"' in tag(page, "expires_at")


def test_a_new_form_sends_now_and_has_no_times(publisher):
    page = publisher.get("/musterstadt/staff/messages/new").content.decode()
    assert " checked" in tag(page, "when-now")
    assert 'value=""' in tag(page, "send_at")


def test_the_character_counts_are_not_live_regions_one_status_says_what_changed(publisher):
    page = publisher.get("/musterstadt/staff/messages/new").content.decode()
    for lang in ("de", "en"):
        for field in ("title", "body"):
            assert "aria-live" not in tag(page, f"{field}_{lang}-count")
    news = tag(page, "count-news")
    assert 'role="status"' in news
    assert "{field}: longer than the push preview shows ({n} characters)." in news
    texts = page[page.index('<fieldset id="texts"') : page.index("</fieldset>")]
    assert texts.count('role="status"') + texts.count("aria-live") == 1
