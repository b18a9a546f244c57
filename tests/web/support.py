"""Helpers for the citizen app's pages: signing up through the form, reading pages back."""

from __future__ import annotations

import html
import re
from typing import Any

from django.test import Client

from stadtbote.core import tokens
from stadtbote.messages import service as messages
from stadtbote.messages.models import Message
from stadtbote.subscribers.models import Subscriber
from stadtbote.tenants.models import Municipality
from stadtbote.web.session import COOKIE

FOOTER_LINKS = (
    'href="/musterstadt/accessibility"',
    'href="/musterstadt/accessibility?from=',
    'href="/musterstadt/privacy"',
    'href="/musterstadt/imprint"',
)


def signup_form(**changes: Any) -> dict[str, Any]:
    """The onboarding form as a browser without JavaScript sends it."""
    form: dict[str, Any] = {
        "district": ["altstadt"],
        "point_lat": "",
        "point_lon": "",
        "point_radius": "250",
        "point_label": "",
        "topic": ["kita"],
        "min_severity": "moderate",
        "quiet_start": "",
        "quiet_end": "",
        "language": "de",
        "email": "",
        "push_subscription": "",
    }
    form.update(changes)
    return form


def sign_up(client: Client, **changes: Any) -> Subscriber:
    """Subscribe through /start; the client keeps the cookie."""
    response = client.post("/musterstadt/start", signup_form(**changes))
    assert response.status_code == 302, error_text(response)
    return subscriber_of(client)


def subscriber_of(client: Client) -> Subscriber:
    token = client.cookies[COOKIE].value
    return Subscriber.objects.get(token_hash=tokens.digest(token))


def text(response: Any) -> str:
    return response.content.decode()


def error_steps(response: Any) -> list[str]:
    """The onboarding steps the page marks as holding an error."""
    return re.findall(r'data-step="(\w+)" data-error="1"', text(response))


def error_text(response: Any) -> str:
    found = re.search(r'role="alert"[^>]*>(.*?)</(?:p|div)>', text(response), re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip() if found else ""


def publish(tenant: Municipality, **body: Any) -> Message:
    """A published message, stored without being sent (no delivery job runs)."""
    data = {"title": {"de": "Meldung", "en": "Notice"}, "severity": "info", **body}
    return messages.create(tenant, data, key=None)


def csrf_token(response: Any) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text(response))
    assert found, "no CSRF token on the page"
    return found.group(1)
