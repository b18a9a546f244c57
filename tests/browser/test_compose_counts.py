"""The compose page's character counts in Chromium: they follow every way a text gets into the
field, and a screen reader hears only when a text starts or stops fitting, not every keystroke."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from tests.browser.fixtures import staff_sign_in

PASSWORD = "Sirene-Probealarm-2026"
COMPOSE = "/musterstadt/staff/messages/new"


@pytest.fixture
def browser_context_args() -> dict:
    return {"locale": "en-GB", "viewport": {"width": 1280, "height": 1000}}


@pytest.fixture
def signed_in(page: Page, live_server, tenant) -> Page:
    user = get_user_model().objects.get(username="presse@musterstadt.example")
    user.set_password(PASSWORD)
    user.save()
    TOTPDevice.objects.get_or_create(user=user, name="Handy", confirmed=True)
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    staff_sign_in(page, user.username, PASSWORD, COMPOSE)
    return page


def said(page: Page) -> list[str]:
    return page.evaluate("() => window.__said")


def listen(page: Page) -> None:
    page.evaluate(
        """() => {
          window.__said = [];
          const news = document.getElementById("count-news");
          new MutationObserver(() => window.__said.push(news.textContent))
            .observe(news, { childList: true, characterData: true, subtree: true });
        }"""
    )


def test_typing_is_announced_only_when_the_push_preview_starts_or_stops_cutting(
    signed_in: Page, assert_accessible
):
    page = signed_in
    listen(page)
    title = page.locator("#title_de")
    title.press_sequentially("Sperrung " * 6)  # 54 characters: fits
    expect(page.locator("#title_de-count")).to_have_text("54 characters")
    assert said(page) == []
    title.press_sequentially("Lange Straße")
    expect(page.locator("#title_de-count")).to_have_text("66 characters")
    expect(page.locator("#count-news")).to_have_text(
        "Title (German): longer than the push preview shows (60 characters)."
    )
    assert len(said(page)) == 1
    for _ in range(10):
        title.press("Backspace")
    expect(page.locator("#count-news")).to_have_text("Title (German): fits the push preview again.")
    assert len(said(page)) == 2
    for live in page.locator("[data-count] ~ .hint").all():
        assert live.get_attribute("aria-live") is None
    assert_accessible(page, "compose with a long title")


def test_a_new_sms_part_is_announced_once(signed_in: Page):
    page = signed_in
    page.locator("#title_de").fill("Wasser")
    listen(page)
    body = page.locator("#body_de")
    body.fill("a" * 150)
    body.dispatch_event("input")
    expect(page.locator("#body_de-count")).to_contain_text("SMS: 1 part (GSM-7)")
    # Over 140 the push preview cuts; the SMS still has one part.
    expect(page.locator("#count-news")).to_contain_text("Text (German): longer than")
    body.press_sequentially("b" * 8)  # 8 + 150 + "Wasser: " = 166 units: two parts
    expect(page.locator("#count-news")).to_have_text("Text (German): SMS: 2 parts (GSM-7)")
    assert len(said(page)) == 2


def test_counts_follow_values_set_without_typing_and_after_a_refusal(signed_in: Page):
    page = signed_in
    # A browser's autofill or a restored form: the value changes, then "change" fires.
    page.evaluate(
        """() => { const t = document.getElementById("title_en");
                   t.value = "Road closed"; t.dispatchEvent(new Event("change", {bubbles: true})); }"""
    )
    expect(page.locator("#title_en-count")).to_have_text("11 characters")
    # A title changes its body's SMS too, though the body was not touched.
    page.locator("#body_en").fill("x" * 140)
    expect(page.locator("#body_en-count")).to_contain_text("1 part")
    page.locator("#title_en").fill("Road closed for a while")
    expect(page.locator("#body_en-count")).to_contain_text("2 parts")
    # Refused (no channel): the page comes back with the texts, counted from the start.
    page.locator("#channel-webpush").uncheck()
    page.locator("#channel-email").uncheck()
    page.locator("#when-later").check()
    page.locator("#send_at").fill("2031-05-01T08:30")
    page.locator("form#compose button[type=submit]").click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#title_en-count")).to_have_text("23 characters")
    expect(page.locator("#when-later")).to_be_checked()
    expect(page.locator("#send_at")).to_have_value("2031-05-01T08:30")
