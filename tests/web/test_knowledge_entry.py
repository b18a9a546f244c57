"""An entry staff wrote without an external address has its own public page, which the
assistant cites; its Markdown is rendered without raw HTML. Nothing else is shown there."""

from __future__ import annotations

import pytest

from stadtbote.assistant import entries
from stadtbote.assistant.models import Entry, Origin
from stadtbote.tenants.models import Municipality
from tests.web.support import text

pytestmark = pytest.mark.django_db

BODY = """Die Hundewiese ist eingezäunt.

## Öffnungszeiten
Täglich von **6 bis 22 Uhr**. <script>alert("x")</script>

[Mehr](javascript:alert(1)) und [Stadtpark](https://www.musterstadt.example/park)
"""


def write(tenant: Municipality, **fields: str) -> Entry:
    form = {"title": "Hundewiese am Stadtpark", "body": BODY, "language": "de", **fields}
    return entries.save(None, tenant, entries.validate(tenant, form))


def test_the_page_shows_the_entry_rendered_safely(client, tenant):
    entry = write(tenant)
    response = client.get(f"/musterstadt/info/{entry.pk}", HTTP_ACCEPT_LANGUAGE="en")
    page = text(response)
    assert response.status_code == 200
    assert '<article class="prose" lang="de"><h1>Hundewiese am Stadtpark</h1>' in page
    assert "<title>Hundewiese am Stadtpark – Musterstadt" in page
    assert "<h2>Öffnungszeiten</h2>" in page
    assert "<strong>6 bis 22 Uhr</strong>" in page
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page
    assert 'href="javascript:' not in page
    assert 'href="https://www.musterstadt.example/park"' in page
    assert "From the town's knowledge base" in page.replace("&#x27;", "'")
    assert 'href="/musterstadt/accessibility"' in page  # the citizen app's frame


def test_english_entries_say_so(client, tenant):
    entry = write(tenant, title="Dog meadow", language="en")
    page = text(client.get(f"/musterstadt/info/{entry.pk}", HTTP_ACCEPT_LANGUAGE="de"))
    assert '<html lang="de">' in page
    assert '<article class="prose" lang="en"><h1>Dog meadow</h1>' in page


def test_entries_read_elsewhere_and_other_towns_entries_are_not_found(client, tenant):
    external = write(tenant, title="Extern", url="https://www.musterstadt.example/hunde")
    imported = Entry.objects.filter(tenant=tenant, origin=Origin.IMPORT).first()
    assert imported is not None
    other = Municipality.objects.create(
        slug="nachbarort", name="Nachbarort", center_lat=52, center_lon=9
    )
    theirs = write(other, title="Bauhof")
    ours = write(tenant)
    for path in (
        f"/musterstadt/info/{external.pk}",
        f"/musterstadt/info/{imported.pk}",
        f"/musterstadt/info/{theirs.pk}",
        f"/nachbarort/info/{ours.pk}",
        "/musterstadt/info/999999",
        f"/atlantis/info/{ours.pk}",
    ):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/nachbarort/info/{theirs.pk}").status_code == 200
