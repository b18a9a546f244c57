"""Helpers for the browser tests: keyboard navigation, a push subscription at the local push
service, Chrome DevTools push delivery, and running background work outside Playwright's loop."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import connections
from playwright.sync_api import BrowserContext, CDPSession, Locator, Page

T = TypeVar("T")
MAX_TABS = 80


def tab_to(page: Page, target: Locator, key: str = "Tab") -> None:
    """Press Tab until ``target`` has the focus, as a keyboard user would."""
    handle = target.element_handle()
    assert handle is not None, "target is not on the page"
    for _ in range(MAX_TABS):
        page.keyboard.press(key)
        if page.evaluate("el => document.activeElement === el", handle):
            return
    raise AssertionError(f"could not reach {target} with {key}")


def subscription_script(endpoint: str, p256dh: str, auth: str) -> str:
    """An init script standing in for the browser's push service (FCM, Mozilla, Apple), which
    a closed network cannot reach: ``pushManager.subscribe`` hands out a subscription at our
    local push service, with keys whose private half that service holds. Everything after
    that (encryption, VAPID, the service worker) is the real thing."""
    sub = json.dumps(
        {"endpoint": endpoint, "expirationTime": None, "keys": {"p256dh": p256dh, "auth": auth}}
    )
    return f"""
(() => {{
  if (!self.PushManager) return;
  const data = {sub};
  let current = null;
  const make = () => ({{
    endpoint: data.endpoint, expirationTime: null, options: {{ userVisibleOnly: true }},
    toJSON: () => data, unsubscribe: async () => {{ current = null; return true; }},
    getKey: () => null
  }});
  PushManager.prototype.subscribe = async function () {{ current = current || make(); return current; }};
  PushManager.prototype.getSubscription = async function () {{ return current; }};
}})();
"""


class ServiceWorkers:
    """The Chrome DevTools Protocol's view of a page's service worker registrations."""

    def __init__(self, context: BrowserContext, page: Page):
        self.cdp: CDPSession = context.new_cdp_session(page)
        self.registrations: dict[str, dict[str, Any]] = {}
        self.versions: list[dict[str, Any]] = []
        self.cdp.on("ServiceWorker.workerRegistrationUpdated", self._registrations)
        self.cdp.on("ServiceWorker.workerVersionUpdated", self._versions)
        self.cdp.send("ServiceWorker.enable")

    def _registrations(self, event: dict[str, Any]) -> None:
        for reg in event["registrations"]:
            if reg.get("isDeleted"):
                self.registrations.pop(reg["registrationId"], None)
            else:
                self.registrations[reg["registrationId"]] = reg

    def _versions(self, event: dict[str, Any]) -> None:
        self.versions.extend(event["versions"])

    def registration_id(self, scope_url: str) -> str:
        for reg in self.registrations.values():
            if reg["scopeURL"] == scope_url:
                return str(reg["registrationId"])
        raise AssertionError(f"no service worker registered for {scope_url}: {self.registrations}")

    def push(self, origin: str, scope_url: str, payload: dict[str, Any]) -> None:
        self.cdp.send(
            "ServiceWorker.deliverPushMessage",
            {
                "origin": origin,
                "registrationId": self.registration_id(scope_url),
                "data": json.dumps(payload, ensure_ascii=False),
            },
        )


def wait_for_worker(page: Page) -> None:
    """Until the page is controlled by its active service worker."""
    page.wait_for_function(
        "() => navigator.serviceWorker && navigator.serviceWorker.controller !== null",
        timeout=15000,
    )


def notifications(page: Page) -> list[dict[str, Any]]:
    return page.evaluate(
        """async () => {
          const reg = await navigator.serviceWorker.ready;
          const list = await reg.getNotifications();
          return list.map(n => ({title: n.title, body: n.body, tag: n.tag, data: n.data}));
        }"""
    )


def outside_playwright(fn: Callable[[], T]) -> T:
    """Run ``fn`` in a fresh thread: Playwright's sync API keeps an asyncio loop running in
    this one, and the Web Push channel refuses to block inside a running loop."""
    result: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(fn())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(120)
    if errors:
        raise errors[0]
    return result[0]


def eventually(check: Callable[[], T], timeout: float = 10.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)
