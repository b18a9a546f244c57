"""Every page of the citizen app passes axe-core's WCAG 2.1 A/AA rules, in German and English,
with and without JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Page

from stadtbote.delivery import dispatch
from stadtbote.subscribers import doi
from stadtbote.subscribers.models import Channel
from tests.browser.fixtures import publish, subscribe_in_browser


def _message(ctx: dict[str, Any]) -> str:
    return f"/musterstadt/messages/{publish(ctx['tenant'], 'Baustelle Lange Straße').id}"


def _withdrawn_and_updated(ctx: dict[str, Any]) -> str:
    old = publish(ctx["tenant"], "Sperrung Marktplatz", severity="severe")
    publish(ctx["tenant"], "Sperrung Marktplatz verlängert", replaces=str(old.id))
    dispatch.cancel(old)
    return f"/musterstadt/messages/{old.id}"


def _official_warning(ctx: dict[str, Any]) -> str:
    from stadtbote.cap.alert import Alert, Area, Info
    from stadtbote.cap.relay import relay

    ring = [(8.30, 51.64), (8.40, 51.64), (8.40, 51.70), (8.30, 51.70), (8.30, 51.64)]
    info = Info(language="de-DE", categories=["Fire"], event="Gefahreninformation",
                urgency="Immediate", severity="Severe", certainty="Observed",
                sender_name="Kreis Soest", headline="Großbrand: Rauchentwicklung",
                description="In der Altstadt brennt eine Lagerhalle.",
                instruction="Fenster und Türen schließen.", web="https://warnung.bund.de",
                areas=[Area("Lippstadt", polygons=[ring])])  # fmt: skip
    alert = Alert("DE-NW-SO-A11Y", "leitstelle@kreis-soest.example", datetime.now(UTC),
                  "Actual", "Alert", "Public", infos=[info])  # fmt: skip
    return f"/musterstadt/messages/{relay(ctx['tenant'], None, alert).message_id}"


def _subscribed(path: str) -> Callable[[dict[str, Any]], str]:
    def prepare(ctx: dict[str, Any]) -> str:
        subscribe_in_browser(ctx["context"], ctx["url"], ctx["tenant"])
        publish(ctx["tenant"], "Unwetter", severity="severe")
        return path

    return prepare


def _confirm(ctx: dict[str, Any]) -> str:
    sub = subscribe_in_browser(
        ctx["context"],
        ctx["url"],
        ctx["tenant"],
        channels=[{"type": "email", "address": "a@example.org"}],
    )
    channel = Channel.objects.get(subscriber=sub, type="email")
    return f"/musterstadt/confirm/{doi.mint_link_token(channel)}"


def _numbers(ctx: dict[str, Any]) -> str:
    from stadtbote.reports import service

    case = service.create_case(ctx["tenant"], {"category": "muell", "address": "Marktplatz 1"})
    service.reply(case, "Wird abgeholt.", None)
    return "/musterstadt/reports/numbers"


def _case(ctx: dict[str, Any]) -> str:
    from stadtbote.reports import service

    case = service.create_case(
        ctx["tenant"],
        {"category": "muell", "lat": 51.673, "lon": 8.345, "address": "Marktplatz 1"},
    )
    service.moderate(case, "Sperrmüll am Marktplatz", True, None)
    service.reply(case, "Wird morgen abgeholt.", None)
    return f"/musterstadt/reports/{case.public_id}?new=1"


def _follow_link(ctx: dict[str, Any]) -> str:
    from stadtbote.reports import following, service

    case = service.create_case(ctx["tenant"], {"category": "muell", "address": "Marktplatz 1"})
    return f"/musterstadt/reports/follow/{following.email_token(case, 'a@example.org')}"


def _unfollow_link(ctx: dict[str, Any]) -> str:
    from stadtbote.reports import following, service

    case = service.create_case(ctx["tenant"], {"category": "muell", "address": "Marktplatz 1"})
    return f"/musterstadt/reports/unfollow/{following.unfollow_token(case, 'a@example.org')}"


def _with_calendar(ctx: dict[str, Any]) -> str:
    from stadtbote.messages.models import Event
    from stadtbote.tenants.models import Topic

    Event.objects.create(
        tenant=ctx["tenant"],
        topic=Topic.objects.get(tenant=ctx["tenant"], slug="kita"),
        title={"de": "Elternabend"},
        starts_at=datetime(2031, 1, 12, 18, tzinfo=UTC),
    )
    return "/musterstadt/"


def _inquiry(ctx: dict[str, Any]) -> str:
    from stadtbote.reports import inquiries, service

    case = inquiries.open_inquiry(
        ctx["tenant"], "Darf ich im Stadtpark grillen?", language="de", email="a@example.org"
    )
    service.reply(case, "Ja, auf der Grillwiese.", None)
    return f"/musterstadt/reports/{case.public_id}?new=1"


def _fixed(path: str) -> Callable[[dict[str, Any]], str]:
    return lambda ctx: path


PAGES: dict[str, Callable[[dict[str, Any]], str]] = {
    "town page": _fixed("/musterstadt/"),
    "town page with calendars": _with_calendar,
    "message page": _message,
    "withdrawn and updated message": _withdrawn_and_updated,
    "an official warning": _official_warning,
    "unknown message": _fixed("/musterstadt/messages/00000000-0000-4000-8000-000000000000"),
    "onboarding": _fixed("/musterstadt/start"),
    "inbox, not subscribed": _fixed("/musterstadt/inbox"),
    "inbox after subscribing": _subscribed("/musterstadt/inbox?welcome=1"),
    "settings": _subscribed("/musterstadt/settings"),
    "settings saved": _subscribed("/musterstadt/settings?saved=1"),
    "delete confirmation": _subscribed("/musterstadt/settings/delete"),
    "accessibility statement": _fixed("/musterstadt/accessibility"),
    "privacy notice": _fixed("/musterstadt/privacy"),
    "imprint": _fixed("/musterstadt/imprint"),
    "numbers on reports": _numbers,
    "contacts and opening hours": _fixed("/musterstadt/contacts"),
    "report a problem": _fixed("/musterstadt/report"),
    "a report": _case,
    "my reports": _subscribed("/musterstadt/reports/mine"),
    "follow confirmation": _follow_link,
    "stop mails about a report": _unfollow_link,
    "offline page": _fixed("/musterstadt/offline"),
    "assistant": _fixed("/musterstadt/assistant"),
    "question to staff": _fixed("/musterstadt/assistant/inquiry"),
    "an inquiry and its answer": _inquiry,
    "e-mail confirmation": _confirm,
    "invalid confirmation link": _fixed("/musterstadt/confirm/not-a-token"),
    "unsubscribe link": _fixed("/musterstadt/unsubscribe/not-a-token"),
}


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_passes_axe(
    name: str, language: str, page: Page, browser_context, tenant, live_server, assert_accessible
):
    browser_context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    path = PAGES[name]({"tenant": tenant, "context": browser_context, "url": live_server.url})
    page.goto(path)
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == language
    assert_accessible(page, f"{name} ({language})")


def test_pages_after_a_form_error_and_after_feedback_pass_axe(
    page: Page, open_page, tenant, assert_accessible
):
    open_page("/musterstadt/accessibility")
    page.locator("#feedback button[type=submit]").click()
    assert page.locator("#feedback-error").is_visible()
    assert_accessible(page, "feedback form with an error")
    page.locator("#fb-text").fill("Die Karte ist mit dem Bildschirmleser nicht bedienbar.")
    page.locator("#feedback button[type=submit]").click()
    assert_accessible(page, "feedback thanks")


def test_without_our_scripts_every_step_of_onboarding_is_one_accessible_form(
    page: Page, open_page, tenant, assert_accessible
):
    # The page's own scripts are blocked (axe itself needs JavaScript to run), which is what a
    # browser with JavaScript off, or a failed script download, leaves the citizen with.
    page.route("**/static/web/*.js", lambda route: route.abort())
    page.route("**/static/leaflet/*.js", lambda route: route.abort())
    open_page("/musterstadt/start")
    for step in ("notify", "places", "topics", "warnings", "email"):
        assert page.locator(f"#step-{step}").is_visible()
    assert page.locator("#submit").is_visible()
    assert_accessible(page, "onboarding without scripts")
    page.locator("#district-cappel").check()
    page.locator("#submit").click()
    page.wait_for_url("**/musterstadt/inbox?welcome=1")
    assert_accessible(page, "inbox without scripts")
