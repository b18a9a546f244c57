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


def staff_sign_in(page: Any, username: str, password: str, next_path: str) -> None:
    """Sign in to the staff console as a person would: password, then the current code from
    their authenticator (the user must have a confirmed TOTP device), landing on next_path."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.staff.conftest import current_code

    page.goto(f"/musterstadt/staff/login?next={next_path}")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("#password").press("Enter")
    page.wait_for_url("**/staff/verify?**")
    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    page.locator("#code").fill(current_code(device))
    page.locator("#code").press("Enter")
    page.wait_for_url(f"**{next_path}")
