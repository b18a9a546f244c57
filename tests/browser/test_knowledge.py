"""The knowledge base in Chromium: a case worker signs in, writes an entry, finds it in the
list and on its public page; the list, the form (with errors too), the review list, a report's
answer as an entry and the public page pass axe in German and English."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from stadtbote.assistant.models import Entry, Question
from stadtbote.reports import service
from tests.browser.fixtures import staff_sign_in
from tests.conftest import ALTSTADT

PASSWORD = "Fahrradweg-Ampel-2026"
WORKER = "sachbearbeitung@musterstadt.example"
BASE = "/musterstadt/staff/knowledge"


@pytest.fixture
def browser_context_args() -> dict:
    return {"locale": "de-DE", "viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def worker(tenant):
    user = get_user_model().objects.get(username=WORKER)
    user.set_password(PASSWORD)
    user.save()
    TOTPDevice.objects.create(user=user, name="Handy", confirmed=True)
    return user


@pytest.fixture
def questions(tenant) -> None:
    common = {"tenant": tenant, "language": "de", "disclosure": "2026-11-27"}
    Question.objects.create(
        text="Wo ist die Hundewiese?", answered=False, confidence=0.3, helpful=False, **common
    )
    Question.objects.create(
        text="Wie melde ich Sperrmüll an?",
        answered=True,
        confidence=0.9,
        helpful=True,
        sources=[{"title": "Sperrmüll anmelden", "url": "https://kb.example/sperrmuell"}],
        **common,
    )
    Question.objects.create(
        text="Es brennt!", answered=False, refusal="emergency", reviewed=True, **common
    )


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_case_worker_writes_an_entry_and_every_knowledge_page_passes_axe(
    language, page: Page, browser_context, live_server, worker, questions, assert_accessible
):
    browser_context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    staff_sign_in(page, WORKER, PASSWORD, f"{BASE}/")
    assert page.locator("html").get_attribute("lang") == language
    expect(page.locator('nav a[aria-current="page"]')).to_have_attribute("href", f"{BASE}/")
    assert_accessible(page, f"knowledge base list ({language})")

    page.locator(f'main a[href="{BASE}/new"]').click()
    page.wait_for_url(f"**{BASE}/new")
    assert_accessible(page, f"new entry form ({language})")
    # The server's checks, as a browser that lets everything through would meet them.
    page.locator("#title").evaluate("el => el.removeAttribute('required')")
    page.locator("#body").fill("## Öffnungszeiten\nTäglich von 6 bis 22 Uhr.")
    page.locator("#url").evaluate("el => el.type = 'text'")
    page.locator("#url").fill("javascript:alert(1)")
    page.locator("form.compose button[type=submit]").click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#title-error")).to_be_visible()
    expect(page.locator("#url-error")).to_be_visible()
    assert_accessible(page, f"entry form with errors ({language})")

    page.locator("#title").fill("Hundewiese am Stadtpark")
    page.locator("#url").fill("")
    page.locator("#tags").fill("hunde, park")
    page.locator("form.compose button[type=submit]").click()
    entry = Entry.objects.get(title="Hundewiese am Stadtpark")
    page.wait_for_url(f"**{BASE}/{entry.pk}")
    expect(page.locator(".flash")).to_be_visible()
    assert_accessible(page, f"edit entry form ({language})")

    page.goto(f"{BASE}/")
    page.locator("#k-q").fill("Hundewiese")
    page.locator("#k-q").press("Enter")
    page.wait_for_url("**/knowledge/?q=Hundewiese**")
    expect(page.locator(f'table a[href="{BASE}/{entry.pk}"]')).to_have_text(
        "Hundewiese am Stadtpark"
    )

    page.goto(f"{BASE}/review")
    expect(page.locator("table")).to_contain_text("Wo ist die Hundewiese?")
    assert_accessible(page, f"review list ({language})")

    page.goto(f"/musterstadt/info/{entry.pk}")
    expect(page.locator("article h1")).to_have_text("Hundewiese am Stadtpark")
    assert page.locator("html").get_attribute("lang") == language
    assert_accessible(page, f"public entry page ({language})")


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_reports_answer_becomes_an_entry_and_the_form_passes_axe(
    language, page: Page, browser_context, live_server, tenant, worker, assert_accessible
):
    case = service.create_case(
        tenant,
        {
            "category": "schlagloch",
            "lat": ALTSTADT[0],
            "lon": ALTSTADT[1],
            "description": "Wann wird das Schlagloch in der Langen Straße repariert?",
            "answers": {"size": "large"},
            "email": "ada@example.org",
        },
    )
    service.reply(case, "Guten Tag Frau Muster, wir reparieren es bis Freitag.", worker)
    browser_context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    staff_sign_in(page, WORKER, PASSWORD, f"/musterstadt/staff/cases/{case.number}")
    page.locator("#to-knowledge").click()
    page.wait_for_url(f"**/cases/{case.number}/to-knowledge")
    expect(page.locator("#personal-data-note")).to_be_visible()
    assert_accessible(page, f"answer as an entry ({language})")
    assert not Entry.objects.filter(origin="answer").exists()
    page.locator("#body").fill("Wir reparieren es bis Freitag.")
    page.locator("form.compose button[type=submit]").click()
    entry = Entry.objects.get(origin="answer")
    page.wait_for_url(f"**{BASE}/{entry.pk}")
    assert entry.title == "Wann wird das Schlagloch in der Langen Straße repariert?"
