"""Data the browser tests share: a subscriber in this browser, and messages to read."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import BrowserContext

from stadtbote.messages import service as messages
from stadtbote.messages.models import Message
from stadtbote.subscribers import service as subscribers
from stadtbote.subscribers.models import Subscriber
from stadtbote.tenants.models import Municipality
from stadtbote.web.session import COOKIE


def subscribe_in_browser(
    context: BrowserContext, base_url: str, tenant: Municipality, **prefs: Any
) -> Subscriber:
    """A subscriber for the Altstadt whose token this browser holds, as after onboarding."""
    body = {"places": [{"area": "altstadt"}], "topics": ["strassensperrungen"], **prefs}
    sub, token = subscribers.create(tenant, body)
    context.add_cookies(
        [{"name": COOKIE, "value": token, "url": f"{base_url}/{tenant.slug}/", "httpOnly": True}]
    )
    return sub


def publish(tenant: Municipality, title: str, severity: str = "moderate", **extra: Any) -> Message:
    return messages.create(
        tenant,
        {
            "title": {"de": title, "en": f"{title} (en)"},
            "body": {"de": f"Text zu {title}.", "en": f"Text about {title}."},
            "severity": severity,
            "area": {"areas": ["altstadt"]},
            **extra,
        },
        key=None,
    )
