"""Offline reading and clean updates of the installed app."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from stadtbote.web.views import pwa
from tests.browser.fixtures import publish, subscribe_in_browser
from tests.browser.support import wait_for_worker


def test_the_inbox_and_opened_messages_stay_readable_offline(
    page: Page, browser_context, open_page, tenant, live_server
):
    subscribe_in_browser(browser_context, live_server.url, tenant)
    storm = publish(tenant, "Sturm über der Altstadt")
    unopened = publish(tenant, "Noch nicht geöffnet", severity="minor")
    open_page("/musterstadt/inbox")
    wait_for_worker(page)
    open_page("/musterstadt/inbox")  # now through the worker, which keeps a copy
    open_page(f"/musterstadt/messages/{storm.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sturm über der Altstadt")

    browser_context.set_offline(True)
    page.goto("/musterstadt/inbox")
    expect(page.locator(f'[data-id="{storm.id}"]')).to_be_visible()
    expect(page.locator("#offline-note")).to_be_visible()
    page.goto(f"/musterstadt/messages/{storm.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sturm über der Altstadt")
    page.goto(f"/musterstadt/messages/{unopened.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("offline", re.I))

    browser_context.set_offline(False)
    page.goto(f"/musterstadt/messages/{unopened.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Noch nicht geöffnet")


def test_a_new_release_waits_for_the_citizen_and_then_replaces_the_old_worker_and_its_cache(
    page: Page, open_page, tenant, monkeypatch
):
    open_page("/musterstadt/")
    wait_for_worker(page)
    old_caches = page.evaluate("caches.keys()")
    assert any(name.startswith("sb-musterstadt-shell-") for name in old_caches)

    monkeypatch.setattr(pwa, "release", lambda: "next-release")
    page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
    banner = page.locator("#update")
    expect(banner).to_be_visible()  # nothing changes under the citizen's hands
    with page.expect_navigation():
        page.locator("#update-button").click()
    page.wait_for_function(
        "async () => (await caches.keys()).includes('sb-musterstadt-shell-next-release')"
    )
    page.wait_for_function(
        "async () => (await caches.keys()).filter(n => n.startsWith('sb-musterstadt-shell-')).length === 1"
    )
    expect(page.locator("#update")).to_be_hidden()


def test_chromium_finds_the_app_installable(page: Page, browser_context, open_page, tenant):
    open_page("/musterstadt/")
    wait_for_worker(page)
    cdp = browser_context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == []
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # Playwright's contexts are incognito profiles, where Chromium never offers installing.
    assert [e["errorId"] for e in errors if e["errorId"] != "in-incognito"] == []
