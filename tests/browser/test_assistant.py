"""The assistant by keyboard, as a screen reader user meets it: the AI notice first, the answer
added to a live log while focus stays in the question field, sources as links, thumbs that
say thank you where the focus is, and a hand-off to staff that ends on the question's page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from stadtbote.assistant.models import Question
from stadtbote.reports.models import Case

WORDS = {
    "de": {"source": "Hundesteuer", "staff": "An die Mitarbeitenden der Stadt senden"},
    "en": {"source": "Dog tax", "staff": "Send this question to the town's staff"},
}


@pytest.mark.parametrize("language", ["de", "en"])
def test_asking_rating_and_passing_on_by_keyboard_passes_axe(
    language, page: Page, browser_context, live_server, tenant, assert_accessible
):
    browser_context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/musterstadt/assistant")
    expect(page.locator("#ai-notice")).to_be_visible()
    assert page.locator("#conversation-log").get_attribute("role") == "log"
    assert_accessible(page, f"assistant, empty ({language})")

    field = page.locator("#question")
    field.focus()
    page.keyboard.type("Was kostet die Hundesteuer?" if language == "de" else "dog tax how much")
    page.keyboard.press("Enter")
    answer = page.locator("#conversation .exchange").first
    expect(answer.locator(".sources a").first).to_be_visible()
    expect(field).to_be_focused()
    expect(field).to_have_value("")
    assert Question.objects.count() == 1
    assert_accessible(page, f"assistant, answered ({language})")

    page.keyboard.press("Tab")  # leaves the field; the thumbs are reached by Tab from the log
    answer.locator("button[value=no]").focus()
    page.keyboard.press("Enter")
    expect(answer.locator(".rating [role=status]")).to_be_focused()
    assert Question.objects.get().helpful is False

    field.focus()
    page.keyboard.type("Wann ist der Weihnachtsmarkt?")
    page.keyboard.press("Enter")
    offer = page.locator("#conversation .exchange").nth(1).locator("a.button")
    expect(offer).to_be_visible()
    offer.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/assistant/inquiry?question=*")
    expect(page.locator("#inquiry-question")).to_have_value("Wann ist der Weihnachtsmarkt?")
    assert_accessible(page, f"question to staff ({language})")
    page.locator("button[type=submit]").last.click()  # no address: refused, naming the field
    expect(page.locator("#inquiry-errors a[href='#inquiry-email']")).to_be_visible()
    assert_accessible(page, f"question to staff with an error ({language})")
    page.locator("#inquiry-email").fill("ada@example.org")
    page.locator("#inquiry-email").press("Enter")
    page.wait_for_url("**/reports/*?new=1")
    assert Case.objects.filter(category__kind="inquiry").count() == 1
    assert_accessible(page, f"the question's page ({language})")


def test_the_conversation_survives_a_reload_without_scripts(
    page: Page, live_server, tenant, assert_accessible
):
    page.route("**/static/web/*.js", lambda route: route.abort())
    page.goto(f"{live_server.url}/musterstadt/assistant")
    page.locator("#question").fill("Was kostet die Hundesteuer?")
    page.locator("#ask-button").click()
    page.wait_for_url("**/assistant#a-*")
    expect(page.locator("#conversation .exchange")).to_have_count(1)
    page.reload()
    expect(page.locator("#conversation .exchange .sources a").first).to_be_visible()
    assert_accessible(page, "assistant without scripts")
