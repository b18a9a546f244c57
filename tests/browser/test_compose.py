"""The main flows of the staff console in Chromium: compose with a polygon drawn on the map,
approval by a second publisher, withdrawal; every page passes axe in German and English."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from stadtbote.messages.models import Message
from stadtbote.tenants.models import StaffMembership
from tests.browser.fixtures import staff_sign_in

PASSWORD = "Sirene-Probealarm-2026"


@pytest.fixture
def browser_context_args() -> dict:
    return {"locale": "de-DE", "viewport": {"width": 1280, "height": 1000}}


def publisher(tenant, username: str):
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=username)
    user.set_password(PASSWORD)
    user.save()
    StaffMembership.objects.update_or_create(
        user=user, tenant=tenant, defaults={"role": "publisher"}
    )
    TOTPDevice.objects.get_or_create(user=user, name="Handy", confirmed=True)
    return user


def sign_in(page: Page, user, next_path: str) -> None:
    staff_sign_in(page, user.username, PASSWORD, next_path)


def test_a_severe_warning_drawn_on_the_map_is_approved_by_a_second_publisher_then_withdrawn(
    browser, live_server, tenant, console_errors
):
    author = publisher(tenant, "presse@musterstadt.example")
    second = publisher(tenant, "lagezentrum@musterstadt.example")
    first_context = browser.new_context(base_url=live_server.url, locale="en-GB",
                                        viewport={"width": 1280, "height": 1000})  # fmt: skip
    page = first_context.new_page()
    try:
        sign_in(page, author, "/musterstadt/staff/messages/new")
        page.locator("#title_de").fill("Unwetter: Sturmböen in der Altstadt")
        page.locator("#body_de").fill("Bleiben Sie in Gebäuden.")
        expect(page.locator("#body_de-count")).to_contain_text("SMS")
        page.locator("#severity").select_option("severe")
        page.locator("#target-drawn").check()
        expect(page.locator("#draw-map")).to_be_visible()
        page.locator(".leaflet-draw-draw-polygon").click()
        box = page.locator("#draw-map").bounding_box()
        assert box is not None
        cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        for dx, dy in ((-60, -40), (60, -40), (60, 40), (-60, 40)):
            # Leaflet.draw follows the pointer: move there, then press and release.
            page.mouse.move(cx + dx, cy + dy, steps=4)
            page.mouse.down()
            page.mouse.up()
            page.wait_for_timeout(100)
        page.locator(".leaflet-draw-actions a", has_text="Finish").click()
        expect(page.locator("#drawn")).not_to_have_value("")
        expect(page.locator("#reach")).to_contain_text("Reaches")
        page.get_by_role("button", name="Send", exact=True).click()
        expect(page.locator(".flash")).to_contain_text("A second person must approve")
        message = Message.objects.get()
        assert (message.status, message.area["kind"]) == ("draft", "shape")
        expect(page.get_by_role("button", name="Approve and send")).to_have_count(0)
    finally:
        first_context.close()
    second_context = browser.new_context(base_url=live_server.url, locale="en-GB",
                                         viewport={"width": 1280, "height": 1000})  # fmt: skip
    page = second_context.new_page()
    try:
        sign_in(page, second, f"/musterstadt/staff/messages/{message.pk}")
        page.get_by_role("button", name="Approve and send").click()
        expect(page.locator(".flash")).to_contain_text("Approved")
        message.refresh_from_db()
        assert message.status == "published"
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Withdraw (all-clear)").click()
        expect(page.locator(".flash")).to_contain_text("Withdrawn")
        message.refresh_from_db()
        assert message.status == "cancelled"
    finally:
        second_context.close()
    assert not console_errors, "\n".join(console_errors)


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_message_pages_pass_axe(
    language, page: Page, browser_context, live_server, tenant, assert_accessible
):
    user = publisher(tenant, "presse@musterstadt.example")
    browser_context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    sign_in(page, user, "/musterstadt/staff/messages/new")
    page.wait_for_load_state("networkidle")
    assert_accessible(page, f"compose ({language})")
    page.locator("#target-drawn").check()
    assert_accessible(page, f"compose with the map ({language})")
    page.locator("#title_de").fill("Sperrung")
    page.locator("form#compose button[type=submit]").click()
    page.wait_for_url("**/staff/messages/*")
    assert_accessible(page, f"a message being sent ({language})")
    page.goto("/musterstadt/staff/messages/")
    assert_accessible(page, f"messages ({language})")


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_dates_page_passes_axe_before_and_after_saving_one(
    language, page: Page, browser_context, live_server, tenant, assert_accessible
):
    user = publisher(tenant, "presse@musterstadt.example")
    browser_context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    sign_in(page, user, "/musterstadt/staff/events/")
    assert_accessible(page, f"dates ({language})")
    page.locator("#title-de").fill("Sommerfest")
    page.locator("#starts_at").fill("2031-06-12T15:00")
    page.locator("form.compose button[type=submit]").click()
    expect(page.locator(".flash")).to_be_visible()
    assert_accessible(page, f"dates with one saved ({language})")


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_templates_pages_pass_axe_with_an_error_and_after_saving_one(
    language, page: Page, browser_context, live_server, tenant, assert_accessible
):
    user = publisher(tenant, "presse@musterstadt.example")
    browser_context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    sign_in(page, user, "/musterstadt/staff/templates/new")
    assert_accessible(page, f"new template ({language})")
    page.locator("#name-de").fill("Glatteis")
    # The browser's own check would stop the empty title; the server's must speak too.
    page.locator("form.compose").evaluate("form => form.noValidate = true")
    page.locator("form.compose button[type=submit]").click()
    expect(page.locator("#error-summary")).to_be_visible()
    assert_accessible(page, f"template with an error ({language})")
    page.locator("#error-summary a").first.click()
    expect(page.locator("#title-de")).to_be_focused()
    page.locator("#title-de").fill("Glatteis in der [Straße]")
    page.locator("form.compose button[type=submit]").click()
    expect(page.locator(".flash")).to_be_visible()
    assert_accessible(page, f"templates ({language})")
