"""Screenshots of the main screens for the README (phone and desktop width).

Run with ``STADTBOTE_SCREENSHOTS=docs/screenshots``; skipped otherwise.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from stadtbote.delivery.inbox import mark_read
from stadtbote.messages.models import Message
from stadtbote.ops.demo import add_demo_messages
from tests.browser.fixtures import subscribe_in_browser

TARGET = os.environ.get("STADTBOTE_SCREENSHOTS")
pytestmark = pytest.mark.skipif(not TARGET, reason="set STADTBOTE_SCREENSHOTS=<folder>")
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


def shoot(page: Page, name: str) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)  # map tiles of districts are drawn after the data arrives
    folder = Path(str(TARGET))
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("size", list(SIZES))
def test_screenshots_of_the_main_screens(size: str, browser: Browser, live_server, tenant):
    add_demo_messages(tenant, say=lambda _: None)
    context = browser.new_context(
        base_url=live_server.url, viewport=SIZES[size], locale="de-DE", device_scale_factor=1
    )
    try:
        page = context.new_page()
        page.goto("/musterstadt/")
        shoot(page, f"town-{size}")
        storm = Message.objects.get(title__de__startswith="Sturmböen")
        closure = Message.objects.get(title__de__startswith="Vollsperrung")
        page.goto(f"/musterstadt/messages/{closure.id}")
        shoot(page, f"message-{size}")
        page.goto("/musterstadt/start")
        shoot(page, f"onboarding-notify-{size}")
        page.locator("#step-next").click()
        page.locator("#district-altstadt").check()
        shoot(page, f"onboarding-places-{size}")
        sub = subscribe_in_browser(context, live_server.url, tenant)
        mark_read(sub, [str(storm.id)])
        page.goto("/musterstadt/inbox")
        shoot(page, f"inbox-{size}")
        page.goto("/musterstadt/settings")
        shoot(page, f"settings-{size}")
        page.goto("/musterstadt/accessibility")
        shoot(page, f"accessibility-{size}")
    finally:
        context.close()
