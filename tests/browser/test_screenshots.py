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


def sign_in_as_caseworker(page: Page, username: str) -> None:
    """Case workers need no second factor: the password lands on the queue."""
    page.goto("/musterstadt/staff/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill("Screenshot-2026")
    page.locator("#password").press("Enter")
    page.wait_for_url("**/staff/cases/")


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


def test_screenshots_of_reporting_and_the_staff_console(browser: Browser, live_server, tenant):
    import io

    from django.contrib.auth import get_user_model
    from PIL import Image

    from stadtbote.reports import media, service

    reports = [
        ("schlagloch", (51.6735, 8.3442), "Lange Straße 12", {"size": "large"}, "Tiefes Loch"),
        ("strassenlaterne", (51.6712, 8.3481), "Marktplatz", {}, "Laterne bleibt dunkel"),
        ("muell", (51.6750, 8.3410), "Parkplatz Am Bahnhof", {}, "Sperrmüll abgeladen"),
    ]
    cases = [
        service.create_case(
            tenant,
            {"category": c, "lat": p[0], "lon": p[1], "address": a, "answers": q,
             "description": d, "email": "ada@example.org"},
        )
        for c, p, a, q, d in reports
    ]  # fmt: skip
    picture = io.BytesIO()
    Image.new("RGB", (640, 480), (96, 96, 90)).save(picture, "JPEG")
    media.add_photo(cases[0], picture.getvalue())
    service.reply(cases[1], "Die Stadtwerke sind informiert.", None)
    user = get_user_model().objects.get(username="sachbearbeitung@musterstadt.example")
    user.set_password("Screenshot-2026")
    user.save()
    phone = browser.new_context(
        base_url=live_server.url, viewport=SIZES["phone"], locale="de-DE", device_scale_factor=1
    )
    desktop = browser.new_context(
        base_url=live_server.url, viewport=SIZES["desktop"], locale="de-DE", device_scale_factor=1
    )
    try:
        page = phone.new_page()
        page.goto("/musterstadt/report")
        page.locator("#cat-schlagloch").check()
        shoot(page, "report-phone")
        page.goto(f"/musterstadt/reports/{cases[1].public_id}?new=1")
        shoot(page, "report-page-phone")
        page = desktop.new_page()
        sign_in_as_caseworker(page, user.username)
        shoot(page, "staff-queue-desktop")
        page.goto(f"/musterstadt/staff/cases/{cases[0].number}")
        shoot(page, "staff-case-desktop")
        page.goto("/musterstadt/staff/numbers")
        shoot(page, "staff-numbers-desktop")
    finally:
        phone.close()
        desktop.close()


def test_screenshots_of_composing_and_following_a_message(browser: Browser, live_server, tenant):
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.staff.conftest import current_code

    user = get_user_model().objects.get(username="presse@musterstadt.example")
    user.set_password("Screenshot-2026")
    user.save()
    device = TOTPDevice.objects.create(user=user, name="Handy", confirmed=True)
    context = browser.new_context(
        base_url=live_server.url, viewport=SIZES["desktop"], locale="de-DE", device_scale_factor=1
    )
    try:
        page = context.new_page()
        page.goto("/musterstadt/staff/login?next=/musterstadt/staff/messages/new")
        page.locator("#username").fill(user.username)
        page.locator("#password").fill("Screenshot-2026")
        page.locator("#password").press("Enter")
        page.wait_for_url("**/staff/verify?**")
        page.locator("#code").fill(current_code(device))
        page.locator("#code").press("Enter")
        page.wait_for_url("**/staff/messages/new")
        page.locator("#title_de").fill("Wasserrohrbruch: Lange Straße gesperrt")
        page.locator("#body_de").fill("Bis voraussichtlich 18 Uhr. Bitte weiträumig umfahren.")
        page.locator("#district-altstadt").check()
        page.locator("#target-districts").check()
        page.locator("#topic-strassensperrungen").check()
        shoot(page, "staff-compose-desktop")
        page.locator("form#compose button[type=submit]").click()
        page.wait_for_url("**/staff/messages/*")
        shoot(page, "staff-message-desktop")
        page.goto("/musterstadt/staff/templates/")
        shoot(page, "staff-templates-desktop")
    finally:
        context.close()


def test_screenshots_of_an_official_warning(browser: Browser, live_server, tenant):
    from datetime import UTC, datetime, timedelta

    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from stadtbote.cap.alert import Alert, Area, Info
    from stadtbote.cap.relay import relay
    from tests.browser.fixtures import staff_sign_in

    ring = [(8.33, 51.66), (8.36, 51.66), (8.36, 51.68), (8.33, 51.68), (8.33, 51.66)]
    info = Info(language="de-DE", categories=["Fire"], event="Gefahreninformation",
                urgency="Immediate", severity="Severe", certainty="Observed",
                expires=datetime.now(UTC) + timedelta(hours=6), sender_name="Kreis Soest",
                headline="Großbrand in der Altstadt: Rauchentwicklung",
                description="In einer Lagerhalle am Bahnhof brennt es. Der Wind treibt den "
                "Rauch über die Altstadt.",
                instruction="Halten Sie Fenster und Türen geschlossen. Schalten Sie Lüftungs- "
                "und Klimaanlagen aus. Meiden Sie das Gebiet.",
                web="https://warnung.bund.de", areas=[Area("Altstadt", polygons=[ring])])  # fmt: skip
    alert = Alert("DE-NW-SO-SHOT-1", "leitstelle@kreis-soest.example", datetime.now(UTC),
                  "Actual", "Alert", "Public", infos=[info])  # fmt: skip
    handled = relay(tenant, None, alert)
    user = get_user_model().objects.get(username="admin@musterstadt.example")
    user.set_password("Screenshot-2026")
    user.save()
    TOTPDevice.objects.create(user=user, name="Handy", confirmed=True)
    phone = browser.new_context(
        base_url=live_server.url, viewport=SIZES["phone"], locale="de-DE", device_scale_factor=1
    )
    desktop = browser.new_context(
        base_url=live_server.url, viewport=SIZES["desktop"], locale="de-DE", device_scale_factor=1
    )
    try:
        page = phone.new_page()
        page.goto(f"/musterstadt/messages/{handled.message_id}")
        shoot(page, "warning-phone")
        page = desktop.new_page()
        staff_sign_in(page, user.username, "Screenshot-2026", "/musterstadt/staff/warnings/")
        shoot(page, "staff-warnings-desktop")
    finally:
        phone.close()
        desktop.close()


def test_screenshots_of_the_assistant_and_the_knowledge_review(
    browser: Browser, live_server, tenant
):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="sachbearbeitung@musterstadt.example")
    user.set_password("Screenshot-2026")
    user.save()
    phone = browser.new_context(
        base_url=live_server.url, viewport=SIZES["phone"], locale="de-DE", device_scale_factor=1
    )
    desktop = browser.new_context(
        base_url=live_server.url, viewport=SIZES["desktop"], locale="de-DE", device_scale_factor=1
    )
    try:
        page = phone.new_page()
        page.goto("/musterstadt/assistant")
        for question in ("Was kostet die Hundesteuer?", "Wann ist der Weihnachtsmarkt?"):
            page.locator("#question").fill(question)
            page.locator("#question").press("Enter")
            page.wait_for_function(
                "n => document.querySelectorAll('#conversation .exchange').length >= n",
                arg=1 if question.startswith("Was") else 2,
            )
        page.locator("#conversation .exchange button[value=no]").first.click()
        shoot(page, "assistant-phone")
        page = desktop.new_page()
        sign_in_as_caseworker(page, user.username)
        page.goto("/musterstadt/staff/knowledge/review")
        shoot(page, "staff-knowledge-review-desktop")
    finally:
        phone.close()
        desktop.close()
