"""Accessibility statement, privacy notice and imprint; reporting a barrier."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from stadtbote.pages.models import Feedback, PublicText
from stadtbote.tenants.models import Municipality
from stadtbote.web.views import public
from tests.support.tasks import drain
from tests.web.support import text

pytestmark = pytest.mark.django_db

CONTACT = "buergerbuero@musterstadt.example"


@pytest.mark.parametrize(
    ("path", "german", "english"),
    [
        ("accessibility", "Erklärung zur Barrierefreiheit", "Accessibility statement"),
        ("privacy", "Datenschutzerklärung", "Privacy notice"),
        ("imprint", "Impressum", "Imprint"),
    ],
)
def test_the_legal_pages_show_the_towns_text_in_the_readers_language(
    client, tenant, path, german, english
):
    de = client.get(f"/musterstadt/{path}", HTTP_ACCEPT_LANGUAGE="de")
    en = client.get(f"/musterstadt/{path}", HTTP_ACCEPT_LANGUAGE="en")
    assert de.status_code == en.status_code == 200
    assert f'<div class="prose" lang="de"><h1>{german}</h1>' in text(de)
    assert f'<div class="prose" lang="en"><h1>{english}</h1>' in text(en)
    assert f"<title>{german} – {tenant.name}</title>" in text(de)


def test_the_imprint_is_rendered_from_markdown(client, tenant):
    page = text(client.get("/musterstadt/imprint", HTTP_ACCEPT_LANGUAGE="en"))
    assert "<strong>Town of Musterstadt</strong>" in page
    assert f'<a href="mailto:{CONTACT}">{CONTACT}</a>' in page


def test_the_language_cookie_chooses_the_text(tenant):
    reader = Client()
    reader.cookies["django_language"] = "en"
    page = text(reader.get("/musterstadt/privacy", HTTP_ACCEPT_LANGUAGE="de"))
    assert "<h1>Privacy notice</h1>" in page


def test_a_text_missing_in_the_readers_language_falls_back_to_the_towns_language(client, tenant):
    PublicText.objects.filter(tenant=tenant, kind="imprint", language="en").delete()
    page = text(client.get("/musterstadt/imprint", HTTP_ACCEPT_LANGUAGE="en"))
    assert '<div class="prose" lang="de"><h1>Impressum</h1>' in page


def test_a_town_without_texts_shows_a_placeholder_with_its_contact_address(client, tenant):
    Municipality.objects.create(
        slug="nachbarort",
        name="Nachbarort",
        center_lat=51.7,
        center_lon=8.5,
        contact_email="rathaus@nachbarort.example",
    )
    for path, heading in (
        ("accessibility", "Accessibility statement"),
        ("privacy", "Privacy"),
        ("imprint", "Imprint"),
    ):
        response = client.get(f"/nachbarort/{path}", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        page = text(response)
        assert f"<h1>{heading}</h1>" in page
        assert "The municipality has not published this text yet." in page
        assert 'href="mailto:rathaus@nachbarort.example"' in page


def test_the_accessibility_statement_has_the_feedback_form_and_remembers_the_page(client, tenant):
    page = text(client.get("/musterstadt/accessibility?from=/musterstadt/start"))
    assert 'action="/musterstadt/accessibility/feedback"' in page
    assert '<input type="hidden" name="page" value="/musterstadt/start">' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert 'action="/musterstadt/accessibility/feedback"' not in text(
        client.get("/musterstadt/imprint")
    )


@pytest.mark.django_db(transaction=True)
def test_a_reported_barrier_is_stored_and_mailed_to_the_town(client, tenant, smtp):
    response = client.post(
        "/musterstadt/accessibility/feedback",
        {
            "text": "Die Karte lässt sich nicht mit der Tastatur bedienen.",
            "page": "/musterstadt/start",
            "name": "Ada",
            "email": "ada@example.org",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "Thank you for your report" in text(response)
    fb = Feedback.objects.get()
    assert (fb.tenant, fb.page, fb.name, fb.email) == (
        tenant,
        "/musterstadt/start",
        "Ada",
        "ada@example.org",
    )
    assert not fb.handled

    drain()
    [mail] = smtp.to(CONTACT)
    assert "accessibility feedback" in mail["Subject"]
    assert mail["Reply-To"] == "ada@example.org"
    body = mail.get_body(("plain",)).get_content()
    assert "Die Karte lässt sich nicht mit der Tastatur bedienen." in body
    assert "Page: /musterstadt/start" in body


@pytest.mark.django_db(transaction=True)
def test_a_town_without_a_contact_address_keeps_the_report_without_mailing_it(client, smtp):
    Municipality.objects.create(slug="nachbarort", name="N", center_lat=51.7, center_lon=8.5)
    response = client.post("/nachbarort/accessibility/feedback", {"text": "Zu kleine Schrift"})
    assert response.status_code == 200
    assert Feedback.objects.count() == 1
    drain()
    assert smtp.received == []


@pytest.mark.parametrize("blank", ["", "   \n  "])
def test_a_report_without_text_is_refused_naming_the_field(client, tenant, blank):
    response = client.post(
        "/musterstadt/accessibility/feedback",
        {"text": blank, "email": "ada@example.org"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    page = text(response)
    assert "Please describe the barrier." in page
    assert 'name="text" rows="5" required maxlength="5000" aria-invalid="true"' in page
    assert 'value="ada@example.org"' in page  # what was typed stays
    assert not Feedback.objects.exists()


def test_a_report_with_an_invalid_e_mail_address_is_refused_naming_the_field(client, tenant):
    response = client.post(
        "/musterstadt/accessibility/feedback",
        {"text": "Kontrast zu gering", "email": "ada@"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    page = text(response)
    assert "This is not a valid e-mail address." in page
    assert 'type="email" autocomplete="email" value="ada@" aria-invalid="true"' in page
    assert "Kontrast zu gering</textarea>" in page
    assert not Feedback.objects.exists()


def test_a_refused_report_keeps_the_page_title_of_the_statement(client, tenant):
    Municipality.objects.create(slug="nachbarort", name="N", center_lat=51.7, center_lon=8.5)
    title = re.compile(r"<title>(.*?)</title>")
    statement = title.search(text(client.get("/nachbarort/accessibility")))
    refused = title.search(text(client.post("/nachbarort/accessibility/feedback", {"text": ""})))
    assert statement
    assert refused
    assert refused.group(1) == statement.group(1)


def test_a_report_that_is_too_long_is_refused(client, tenant):
    response = client.post("/musterstadt/accessibility/feedback", {"text": "x" * 5001})
    assert response.status_code == 422
    assert not Feedback.objects.exists()


def test_too_many_reports_from_one_connection_are_refused(client, tenant, monkeypatch):
    monkeypatch.setattr(public, "FEEDBACK_PER_HOUR", 2)
    statuses = [
        client.post("/musterstadt/accessibility/feedback", {"text": f"Nr. {n}"}).status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]
    assert Feedback.objects.count() == 2


def test_feedback_needs_a_post(client, tenant):
    assert client.get("/musterstadt/accessibility/feedback").status_code == 405
