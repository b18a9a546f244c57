"""The service worker replaces a message's notification with its update quietly, unless the update
raises the severity or is severe or extreme: then the phone alerts again."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.browser.support import ServiceWorkers, eventually, wait_for_worker

FIRST = "11111111-1111-4111-8111-111111111111"
UPDATE = "22222222-2222-4222-8222-222222222222"


@pytest.fixture
def workers(browser_context: BrowserContext, page: Page, live_server: Any, open_page, tenant):
    browser_context.grant_permissions(["notifications"], origin=live_server.url)
    workers = ServiceWorkers(browser_context, page)
    open_page("/musterstadt/start")
    wait_for_worker(page)
    return workers


def push(workers: ServiceWorkers, live_server: Any, message_id: str, **fields: Any) -> None:
    payload = {
        "id": message_id,
        "kind": "message",
        "title": "Hochwasser an der Lippe",
        "body": "Pegel steigt.",
        "severity": "moderate",
        "url": f"{live_server.url}/musterstadt/messages/{message_id}",
        "tenant": "musterstadt",
        "lang": "de",
        **fields,
    }
    workers.push(live_server.url, f"{live_server.url}/musterstadt/", payload)


def shown(page: Page, message_id: str, again: Any = None) -> dict[str, Any]:
    """The notification that shows ``message_id``, once the service worker has shown it.

    A push the DevTools protocol delivers while the worker is still starting up can be lost
    on a busy machine (a real push service would retry): ``again`` delivers it once more."""

    def find() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = page.evaluate(
            """async (id) => {
              const list = await (await navigator.serviceWorker.ready).getNotifications();
              return list.filter(n => n.data && n.data.id === id)
                .map(n => ({tag: n.tag, silent: n.silent, renotify: n.renotify}));
            }""",
            message_id,
        )
        return found

    found = eventually(find, timeout=10.0)
    if not found and again is not None:
        again()
        found = eventually(find, timeout=20.0)
    assert len(found) == 1, f"{message_id} shown {len(found)} times"
    notification: dict[str, Any] = found[0]
    return notification


@pytest.mark.parametrize(
    ("before", "after", "alerts"),
    [
        ("moderate", "moderate", False),
        ("severe", "moderate", False),
        ("minor", "moderate", True),
        ("moderate", "severe", True),
        ("severe", "severe", True),
        ("extreme", "extreme", True),
    ],
)
def test_an_update_alerts_when_the_severity_rises_or_is_severe_and_is_quiet_otherwise(
    page: Page, workers, live_server, before, after, alerts
):
    def first() -> None:
        push(workers, live_server, FIRST, severity=before)

    def update_push() -> None:
        push(workers, live_server, UPDATE, kind="update", replaces=FIRST, severity=after,
             previous_severity=before)  # fmt: skip

    first()
    assert shown(page, FIRST, again=first)["silent"] is False
    update_push()
    update = shown(page, UPDATE, again=update_push)
    assert update["tag"] == FIRST  # in the place of the first notification
    assert (update["silent"], update["renotify"]) == (not alerts, alerts)


def test_an_update_without_the_earlier_severity_alerts(page: Page, workers, live_server):
    def update_push() -> None:
        push(workers, live_server, UPDATE, kind="update", replaces=FIRST, severity="minor")

    update_push()
    update = shown(page, UPDATE, again=update_push)
    assert (update["silent"], update["renotify"]) == (False, True)
