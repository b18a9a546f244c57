"""Smoke tests: the live server, static files and the public pages work in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from stadtbote.messages import service
from stadtbote.messages.models import Message
from stadtbote.tenants.models import Municipality

TITLE = "Wasserrohrbruch in der Altstadt"


@pytest.fixture
def published_message(tenant: Municipality) -> Message:
    return service.create(
        tenant,
        {
            "title": {"de": TITLE, "en": "Burst water main in the old town"},
            "body": {"de": "Die Lange Straße ist bis 18 Uhr gesperrt.", "en": "Closed until 6pm."},
            "severity": "moderate",
            "channels": ["email"],
        },
        key=None,
    )


def test_the_live_server_serves_leaflet_and_the_site_stylesheet(page: Page):
    for path in ("/static/leaflet/leaflet.js", "/static/web/base.css"):
        response = page.request.get(path)
        assert response.status == 200, f"GET {path}: {response.status}"


def test_the_town_page_links_to_the_page_of_a_published_message_in_german(
    page: Page, open_page, published_message
):
    open_page("/musterstadt/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Musterstadt")
    page.get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(f"/musterstadt/messages/{published_message.pk}")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)


def test_the_town_page_and_a_message_page_log_no_console_errors(
    open_page, console_errors, published_message
):
    open_page("/musterstadt/")
    open_page(f"/musterstadt/messages/{published_message.pk}")
    assert not console_errors, "browser console errors:\n" + "\n".join(console_errors)


def test_the_town_page_has_no_accessibility_violations(
    open_page, assert_accessible, published_message
):
    assert_accessible(open_page("/musterstadt/"), "the town page")


def test_the_page_of_a_published_message_has_no_accessibility_violations(
    open_page, assert_accessible, published_message
):
    page = open_page(f"/musterstadt/messages/{published_message.pk}")
    assert_accessible(page, "a published message's page")
