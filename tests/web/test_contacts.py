"""/{tenant}/contacts: the town's public offices with address, phone, e-mail and opening hours
in the reader's language, each with its own anchor (the assistant's sources link there), and
the town's general contact."""

from __future__ import annotations

import re

from stadtbote.reports.models import Department
from tests.web.support import text


def office(page: str, slug: str) -> str:
    found = re.search(rf'<article class="card office" id="office-{slug}".*?</article>', page, re.S)
    assert found, f"no office {slug!r} on the page"
    return found.group(0)


def test_the_contacts_page_lists_the_public_offices_with_address_phone_mail_and_hours(
    client, tenant
):
    response = client.get("/musterstadt/contacts")
    assert response.status_code == 200
    page = text(response)
    assert len(re.findall(r"<h1>[^<]+</h1>", page)) == 1
    buergerbuero = office(page, "buergerbuero")
    assert '<h2 id="office-buergerbuero-name">Bürgerbüro</h2>' in buergerbuero
    assert "<address>" in buergerbuero
    assert "Rathaus, Ostwall 1, 59555 Musterstadt" in buergerbuero
    assert '<a href="tel:02941980100">02941 980-100</a>' in buergerbuero
    assert '<a href="mailto:buergerbuero@musterstadt.example">' in buergerbuero
    assert "Dienstag 7:30–16:00 Uhr<br>Donnerstag 7:30–18:00 Uhr" in buergerbuero
    assert 'id="office-ordnungsamt"' in page
    assert 'id="office-tiefbau"' not in page  # not public


def test_the_contacts_page_shows_the_towns_general_contact(client, tenant):
    page = text(client.get("/musterstadt/contacts"))
    general = page.split('<section class="card" aria-labelledby="town-contact">')[1]
    assert '<h2 id="town-contact">Musterstadt (Lippstadt)</h2>' in general
    assert 'href="mailto:buergerbuero@musterstadt.example"' in general
    assert 'href="https://www.lippstadt.de/"' in general


def test_in_english_the_offices_show_their_english_names_and_hours(client, tenant):
    page = text(client.get("/musterstadt/contacts", HTTP_ACCEPT_LANGUAGE="en"))
    assert '<html lang="en">' in page
    buergerbuero = office(page, "buergerbuero")
    assert "Citizens&#x27; Office</h2>" in buergerbuero
    assert "Tuesday 7:30 am – 4:00 pm" in buergerbuero
    assert "Dienstag" not in buergerbuero


def test_a_text_missing_in_the_readers_language_is_shown_in_the_towns_and_marked(client, tenant):
    Department.objects.filter(tenant=tenant, slug="ordnungsamt").update(
        name={"de": "Ordnungsamt"}, opening_hours={"de": "Montag 8–12 Uhr"}
    )
    ordnungsamt = office(
        text(client.get("/musterstadt/contacts", HTTP_ACCEPT_LANGUAGE="en")), "ordnungsamt"
    )
    assert '<h2 id="office-ordnungsamt-name" lang="de">Ordnungsamt</h2>' in ordnungsamt
    assert '<p lang="de">Montag 8–12 Uhr</p>' in ordnungsamt


def test_every_page_links_to_the_contacts(client, tenant):
    assert 'href="/musterstadt/contacts"' in text(client.get("/musterstadt/"))
    assert 'href="/musterstadt/contacts" aria-current="page"' in text(
        client.get("/musterstadt/contacts")
    )


def test_a_town_without_public_offices_says_so(client, tenant):
    Department.objects.filter(tenant=tenant).update(public=False)
    page = text(client.get("/musterstadt/contacts"))
    assert 'class="card office"' not in page
    assert "buergerbuero@musterstadt.example" in page  # the town's contact is still there


def test_the_contacts_page_of_an_unknown_town_is_404(client, db):
    assert client.get("/atlantis/contacts").status_code == 404
