"""The staff console in Chromium: sign in, work the queue, answer from a template by keyboard,
publish; every page passes axe in German and English."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import get_user_model
from PIL import Image
from playwright.sync_api import Page, expect

from stadtbote.reports import media, service
from stadtbote.reports.models import Case
from tests.browser.fixtures import staff_sign_in
from tests.browser.support import tab_to
from tests.conftest import ALTSTADT

PASSWORD = "Fahrradweg-Ampel-2026"
WORKER = "sachbearbeitung@musterstadt.example"


@pytest.fixture
def browser_context_args() -> dict:
    return {"locale": "de-DE", "viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def worker(tenant):
    user = get_user_model().objects.get(username=WORKER)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def case(tenant) -> Case:
    case = service.create_case(
        tenant,
        {
            "category": "schlagloch",
            "lat": ALTSTADT[0],
            "lon": ALTSTADT[1],
            "address": "Lange Straße 12",
            "description": "Tiefes Loch vor der Bäckerei",
            "answers": {"size": "large"},
            "email": "ada@example.org",
        },
    )
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 120, 60)).save(out, "JPEG")
    media.add_photo(case, out.getvalue())
    return case


def sign_in(page: Page, language: str = "en") -> None:
    page.goto("/musterstadt/staff/login?next=/musterstadt/staff/cases/")
    if language == "en":
        page.locator("#lang-select").select_option("en")
        page.locator("form.lang button").click()
    page.locator("#username").fill(WORKER)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url("**/musterstadt/staff/cases/")


def test_a_case_worker_answers_a_report_from_a_template_by_keyboard(
    page: Page, worker, case, console_errors
):
    sign_in(page)
    page.get_by_role("link", name=str(case.number), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Report 1")
    select = page.locator("#template")
    tab_to(page, select)
    select.select_option(index=1)
    # htmx swaps the template's text into the answer box.
    expect(page.locator("#reply-text")).not_to_have_value("")
    page.locator("#reply-status").select_option("in_progress")
    page.get_by_role("button", name="Send answer").click()
    expect(page.locator(".flash")).to_contain_text("Answer sent.")
    case.refresh_from_db()
    assert case.status == "in_progress"
    assert case.first_response_at is not None
    assert not console_errors, "\n".join(console_errors)


def test_the_queue_filters_without_reloading_the_page(page: Page, worker, case):
    sign_in(page)
    page.evaluate("window.__marker = 1")
    page.locator("#f-department").select_option("ordnungsamt")
    expect(page.locator("#queue-results")).to_contain_text("0 reports")
    assert page.evaluate("window.__marker") == 1  # same document: htmx swapped the list
    assert re.search(r"department=ordnungsamt", page.url)


def test_moderation_publishes_the_edited_text_and_hides_a_photo(page: Page, worker, case):
    sign_in(page)
    page.goto(f"/musterstadt/staff/cases/{case.number}")
    page.locator("#public-description").fill("Tiefes Loch")
    page.locator("#published").check()
    page.get_by_role("button", name="Save publication").click()
    expect(page.locator(".flash")).to_contain_text("Publication saved.")
    page.get_by_role("button", name="Hide photo 1").click()
    expect(page.locator(".photos")).to_contain_text("hidden from the public")
    case.refresh_from_db()
    assert case.published
    assert case.photos.get().hidden


PAGES = {
    "sign-in": lambda c: "/musterstadt/staff/login",
    "queue": lambda c: "/musterstadt/staff/cases/",
    "case": lambda c: f"/musterstadt/staff/cases/{c.number}",
    "case with an error": None,
    "numbers": lambda c: "/musterstadt/staff/numbers",
}


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("name", list(PAGES))
def test_every_staff_page_passes_axe(
    name, language, page: Page, browser_context, live_server, worker, case, assert_accessible
):
    browser_context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    if name != "sign-in":
        page.goto("/musterstadt/staff/login")
        page.locator("#username").fill(WORKER)
        page.locator("#password").fill(PASSWORD)
        page.locator("#password").press("Enter")
        page.wait_for_url("**/musterstadt/staff/cases/")
    if name == "case with an error":
        page.goto(f"/musterstadt/staff/cases/{case.number}")
        page.locator("#note-text").evaluate("el => el.removeAttribute('required')")
        page.locator("#note button[type=submit]").click()
        expect(page.locator("#error-summary")).to_be_focused()
    else:
        page.goto(PAGES[name](case))
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == language
    assert_accessible(page, f"staff {name} ({language})")


@pytest.mark.parametrize("language", ["de", "en"])
def test_setting_up_and_using_the_second_factor_passes_axe(
    language, page: Page, browser_context, live_server, tenant, assert_accessible
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.staff.conftest import current_code

    user = get_user_model().objects.get(username="presse@musterstadt.example")
    user.set_password(PASSWORD)
    user.save()
    browser_context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    page.goto("/musterstadt/staff/login")
    page.locator("#username").fill(user.username)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url("**/musterstadt/staff/setup?**")
    assert_accessible(page, f"second factor set-up ({language})")
    device = TOTPDevice.objects.get(user=user)
    page.locator("#code").fill(current_code(device))
    page.locator("#code").press("Enter")
    page.wait_for_url("**/musterstadt/staff/messages/")
    page.context.clear_cookies()
    browser_context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    page.goto("/musterstadt/staff/login")
    page.locator("#username").fill(user.username)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url("**/musterstadt/staff/verify?**")
    assert_accessible(page, f"second factor code ({language})")


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_audit_log_passes_axe(
    language, page: Page, browser_context, live_server, tenant, worker, case, assert_accessible
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    admin = get_user_model().objects.get(username="admin@musterstadt.example")
    admin.set_password(PASSWORD)
    admin.save()
    TOTPDevice.objects.create(user=admin, name="Handy", confirmed=True)
    browser_context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    staff_sign_in(page, admin.username, PASSWORD, "/musterstadt/staff/audit")
    expect(page.locator("table")).to_contain_text("staff.sign_in")
    assert_accessible(page, f"audit log ({language})")


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_team_page_and_choosing_a_password_pass_axe(
    language, page: Page, browser_context, live_server, tenant, assert_accessible
):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode
    from django_otp.plugins.otp_totp.models import TOTPDevice

    admin = get_user_model().objects.get(username="admin@musterstadt.example")
    admin.set_password(PASSWORD)
    admin.save()
    TOTPDevice.objects.create(user=admin, name="Handy", confirmed=True)
    browser_context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    staff_sign_in(page, admin.username, PASSWORD, "/musterstadt/staff/team")
    page.locator("#key-name").fill("Meldeapp")
    page.locator("#key-name").press("Enter")
    page.wait_for_url("**/musterstadt/staff/team#keys")
    expect(page.locator(".alert.success code")).to_be_visible()
    assert_accessible(page, f"team and settings ({language})")
    viewer = get_user_model().objects.get(username="lesend@musterstadt.example")
    uid = urlsafe_base64_encode(force_bytes(viewer.pk))
    page.goto(f"/musterstadt/staff/password/{uid}/{default_token_generator.make_token(viewer)}")
    assert_accessible(page, f"choose a password ({language})")
