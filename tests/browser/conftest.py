"""Browser tests: Debian's Chromium, driven by Playwright, against pytest-django's live server.

Every test here is marked ``browser`` and runs with a transactional database, because the live
server answers from another thread and cannot see data inside a test's open transaction.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from pytest_django.live_server_helper import LiveServer

HERE = Path(__file__).parent
CHROMIUM = Path("/usr/bin/chromium")
# No sandbox: CI runs as root in a container. The rest keeps Chromium off the (closed) network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # This hook sees the whole session's items, not just this folder's.
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One Chromium for all browser tests.

    Package scope, not session scope: Playwright's sync API keeps an asyncio loop running in the
    main thread for as long as it lives. Django then refuses ORM calls (SynchronousOnlyOperation)
    and blocking code such as ``WebPushChannel.send`` refuses to run, so Playwright must be gone
    before the tests outside this folder run. Django's check is switched off for exactly as long.
    """
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing; install Debian's chromium (see .ci/run)"
        if os.environ.get("STADTBOTE_TESTING_ALLOW_NO_BROWSER") == "1":
            pytest.skip(reason)
        pytest.fail(f"{reason}, or set STADTBOTE_TESTING_ALLOW_NO_BROWSER=1 to skip browser tests")
    with pytest.MonkeyPatch.context() as mp, sync_playwright() as playwright:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_context_args() -> dict[str, Any]:
    """Options for each new context; override in a module for e.g. a desktop viewport."""
    return {
        "locale": "de-DE",
        "viewport": {"width": 390, "height": 844},
        "service_workers": "allow",
    }


@pytest.fixture
def browser_context(
    browser: Browser, live_server: LiveServer, browser_context_args: dict[str, Any]
) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=live_server.url, **browser_context_args)
    yield context
    # A page's last requests (opening a message posts "read" in the background) must be done
    # before the database is emptied: a write still running on the live server meets the
    # flush's TRUNCATE, and PostgreSQL calls it a deadlock.
    for tab in context.pages:
        # A closed, crashed or forever busy page has nothing more to wait for.
        with contextlib.suppress(PlaywrightError):
            tab.wait_for_load_state("networkidle", timeout=5000)
    context.close()


@pytest.fixture
def page(browser_context: BrowserContext) -> Page:
    return browser_context.new_page()


@pytest.fixture
def open_page(page: Page) -> Callable[..., Page]:
    """``open_page(path, page=page, status=200)``: go to a live-server path, check the status."""

    def open_(path: str, page: Page = page, status: int = 200) -> Page:
        response = page.goto(path)
        assert response is not None, f"no response for {path}"
        assert response.status == status, f"GET {path}: {response.status}, expected {status}"
        return page

    return open_


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """Errors ``page`` logs from now on, including resources that failed to load or the CSP blocked.

    Chromium asks for /favicon.ico on its own, whether or not a page declares an icon; its 404 is
    noise.
    """
    errors: list[str] = []

    def note(msg: ConsoleMessage) -> None:
        if msg.type == "error" and not msg.location["url"].endswith("/favicon.ico"):
            errors.append(f"{msg.text} ({msg.location['url'] or page.url})")

    page.on("console", note)
    page.on("pageerror", lambda exc: errors.append(f"{exc} ({page.url})"))
    return errors


@pytest.fixture(scope="package")
def axe() -> Axe:
    return Axe()


@pytest.fixture
def assert_accessible(axe: Axe) -> Callable[[Page, str], None]:
    """``assert_accessible(page, "the town page")``: axe-core's WCAG 2.1 A/AA rules must pass."""

    def check(page: Page, context_label: str) -> None:
        violations = axe.run(page, options=AXE_OPTIONS).response["violations"]
        if violations:
            pytest.fail(describe(violations, f"{context_label} ({page.url})"), pytrace=False)

    return check


def describe(violations: list[dict[str, Any]], where: str) -> str:
    lines = [f"axe found {len(violations)} accessibility violation(s) on {where}:"]
    for v in violations:
        lines.append(f"- {v['id']} [{v.get('impact') or 'no impact'}] {v['help']} ({v['helpUrl']})")
        lines.extend(f"    {' '.join(map(str, node['target']))}" for node in v["nodes"])
    return "\n".join(lines)
