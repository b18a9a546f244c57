"""A citizen adds a phone number for SMS with the keyboard alone, enters the code that reached
the local SMS gateway, and every page on the way (the field, the code step, an error) passes
axe in German and English, with and without JavaScript."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from playwright.sync_api import BrowserContext, Page, expect

from stadtbote.subscribers import sms_codes
from tests.browser.fixtures import subscribe_in_browser
from tests.browser.support import outside_playwright, tab_to
from tests.support.sms_gateway import SmsGateway
from tests.support.tasks import drain

NUMBER = "+4915112345678"
SCREENSHOTS = Path("/tmp/websms/screenshots")


@pytest.fixture(autouse=True)
def empty_rate_limits(transactional_db: None) -> None:
    # The counts live in a database table the flush between tests leaves alone, and every test
    # here sends codes to the same number (at most five a day).
    cache.clear()


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmsGateway]:
    # The live server runs in this process and asks the environment on every request.
    with SmsGateway() as server:
        url = server.url.replace("http://", "kannel+http://stadtbote:secret@")
        monkeypatch.setenv("STADTBOTE_SMS_PROVIDERS", f"{url}?from=Musterstadt")
        yield server


@pytest.fixture
def subscribed(browser_context: BrowserContext, live_server: Any, tenant: Any) -> Any:
    return subscribe_in_browser(browser_context, live_server.url, tenant)


def speaking(context: BrowserContext, live_server: Any, language: str) -> None:
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])


def sent_code(gateway: SmsGateway) -> str:
    outside_playwright(drain)
    texts = [r["text"] for r in gateway.received if r["to"] == NUMBER]
    assert texts, "no SMS reached the gateway"
    found = re.search(r"\b(\d{6})\b", texts[-1])
    assert found, texts[-1]
    return found.group(1)


def snap(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def save_number(page: Page, number: str) -> None:
    tab_to(page, page.locator("#sms"))
    page.keyboard.type(number)
    tab_to(page, page.locator("#prefs-form button[type=submit]"))
    page.keyboard.press("Enter")


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_citizen_adds_a_number_and_confirms_it_with_the_keyboard_alone(
    language: str,
    page: Page,
    browser_context: BrowserContext,
    live_server: Any,
    subscribed: Any,
    gateway: SmsGateway,
    assert_accessible: Any,
    console_errors: list[str],
):
    speaking(browser_context, live_server, language)
    page.goto("/musterstadt/settings")
    expect(
        page.get_by_label("Telefonnummer für SMS" if language == "de" else "Phone number for SMS")
    ).to_be_visible()
    assert_accessible(page, f"settings with the phone field ({language})")
    snap(page, f"settings-field-{language}")

    save_number(page, "0151 1234 5678")
    page.wait_for_url("**/musterstadt/settings/sms")
    expect(page.locator("#sms-code")).to_be_focused()
    expect(page.locator("#code-intro")).to_contain_text("+49 151 12345678")
    assert_accessible(page, f"code step ({language})")
    snap(page, f"code-step-{language}")

    right = sent_code(gateway)
    page.keyboard.type(f"{(int(right) + 1) % 1_000_000:06d}")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.locator("#code-error")).to_be_visible()
    expect(page.locator("#sms-code")).to_be_focused()
    expect(page.locator("#sms-code")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, f"code step with a wrong code ({language})")
    snap(page, f"code-wrong-{language}")

    page.locator("#sms-code").fill("")
    page.keyboard.type(right)
    page.keyboard.press("Enter")
    page.wait_for_url("**/musterstadt/settings?sms=confirmed")
    expect(page.locator("#sms-state")).to_contain_text("+49 151 12345678")
    assert_accessible(page, f"settings with a confirmed number ({language})")
    snap(page, f"settings-confirmed-{language}")
    # The wrong code's page comes with 422, which Chromium logs; nothing else may be logged.
    assert [e for e in console_errors if "status of 422" not in e] == []


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_number_that_is_no_phone_number_moves_the_focus_to_the_error(
    language: str,
    page: Page,
    browser_context: BrowserContext,
    live_server: Any,
    subscribed: Any,
    gateway: SmsGateway,
    assert_accessible: Any,
):
    speaking(browser_context, live_server, language)
    page.goto("/musterstadt/settings")
    save_number(page, "12ab")
    page.wait_for_load_state()

    expect(page.locator("#form-error")).to_be_focused()
    expect(page.locator("#sms")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#sms-error")).to_be_visible()
    assert_accessible(page, f"settings with a wrong number ({language})")
    snap(page, f"settings-wrong-number-{language}")


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_dead_code_puts_the_focus_on_the_message_that_says_what_to_do(
    language: str,
    page: Page,
    browser_context: BrowserContext,
    live_server: Any,
    subscribed: Any,
    gateway: SmsGateway,
    assert_accessible: Any,
):
    speaking(browser_context, live_server, language)
    page.goto("/musterstadt/settings")
    save_number(page, "0151 1234 5678")
    page.wait_for_url("**/musterstadt/settings/sms")
    wrong = f"{(int(sent_code(gateway)) + 1) % 1_000_000:06d}"
    for _ in range(sms_codes.MAX_ATTEMPTS):
        page.locator("#sms-code").fill(wrong)
        page.locator("#sms-code").press("Enter")
        page.wait_for_load_state()

    expect(page.locator("#form-error")).to_be_focused()
    assert_accessible(page, f"code step after too many wrong codes ({language})")
    snap(page, f"code-too-many-{language}")


def test_without_scripts_the_number_is_added_confirmed_and_removed_with_plain_forms(
    page: Page,
    browser_context: BrowserContext,
    live_server: Any,
    subscribed: Any,
    gateway: SmsGateway,
    assert_accessible: Any,
):
    page.route("**/static/web/*.js", lambda route: route.abort())
    page.route("**/static/leaflet/*.js", lambda route: route.abort())
    speaking(browser_context, live_server, "en")
    page.goto("/musterstadt/settings")
    page.locator("#sms").fill("0151 1234 5678")
    page.locator("#prefs-form button[type=submit]").click()
    page.wait_for_url("**/musterstadt/settings/sms")
    page.locator("#sms-code").fill(sent_code(gateway))
    page.get_by_role("button", name="Confirm number").click()
    page.wait_for_url("**/musterstadt/settings?sms=confirmed")
    expect(page.locator("#sms-state")).to_contain_text("is confirmed")

    page.locator("#sms").fill("")
    page.locator("#prefs-form button[type=submit]").click()
    page.wait_for_url("**/musterstadt/settings?saved=1")

    expect(page.locator("#sms")).to_have_value("")
    expect(page.locator("#sms-state")).to_have_count(0)
    assert_accessible(page, "settings after removing the number, without scripts")


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_onboarding_with_the_phone_field_passes_axe_on_every_step(
    language: str,
    page: Page,
    browser_context: BrowserContext,
    live_server: Any,
    tenant: Any,
    gateway: SmsGateway,
    assert_accessible: Any,
):
    # Without the page's scripts every step shows at once, so one check sees them all.
    page.route("**/static/web/*.js", lambda route: route.abort())
    page.route("**/static/leaflet/*.js", lambda route: route.abort())
    speaking(browser_context, live_server, language)
    page.goto("/musterstadt/start")
    page.locator("#district-altstadt").check()
    page.locator("#sms").fill("0151 1234 5678")
    assert_accessible(page, f"onboarding with the phone field ({language})")
    page.locator("#submit").click()
    page.wait_for_url("**/musterstadt/settings/sms")

    expect(page.locator("#sms-code")).to_be_focused()
    assert_accessible(page, f"code step after signing up ({language})")
