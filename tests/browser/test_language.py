"""The language switch works without JavaScript and is remembered."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.fixtures import publish
from tests.browser.support import tab_to


def test_a_reader_switches_to_english_by_keyboard_and_the_choice_is_remembered(
    page: Page, open_page, tenant
):
    message = publish(tenant, "Sperrung Marktplatz")
    open_page("/musterstadt/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Aktuelle Mitteilungen")

    tab_to(page, page.locator("#lang-select"))
    page.keyboard.press("ArrowDown")  # Deutsch -> English
    tab_to(page, page.locator(".lang button"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url("/musterstadt/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Current messages")

    # Another page, a new tab: still English, and the message itself in English.
    other = page.context.new_page()
    other.goto(f"/musterstadt/messages/{message.id}")
    expect(other.locator("html")).to_have_attribute("lang", "en")
    expect(other.get_by_role("heading", level=1)).to_have_text("Sperrung Marktplatz (en)")
    expect(other.get_by_role("link", name="Accessibility statement")).to_be_visible()
