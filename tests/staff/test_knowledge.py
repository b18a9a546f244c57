"""The knowledge base in the console: the town's entries with search and filters; staff write,
edit and delete their own entries (audited), imported and derived ones are read-only; viewers
read; no town sees another's."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from stadtbote.assistant import service
from stadtbote.assistant.models import Entry, Origin
from stadtbote.audit.models import AuditEntry
from tests.staff.conftest import signed_in


@pytest.fixture
def caseworker(tenant):
    # Keeping the knowledge base changes what citizens read: a second factor whatever the role.
    return signed_in(tenant, "caseworker", with_second_factor=True)


BASE = "/musterstadt/staff/knowledge"
FORM = {
    "title": "Hundewiese am Stadtpark",
    "body": "## Öffnungszeiten\nDie Hundewiese am Stadtpark ist täglich von 6 bis 22 Uhr offen.",
    "language": "de",
    "tags": "Hunde, Park , hunde",
    "url": "",
}


def create(client, **changes: str) -> Entry:
    response = client.post(f"{BASE}/new", {**FORM, **changes})
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = Entry.objects.get(title=changes.get("title", FORM["title"]))
    assert response["Location"] == f"{BASE}/{entry.pk}"
    return entry


def imported(tenant) -> Entry:
    return Entry.objects.filter(tenant=tenant, origin=Origin.IMPORT).order_by("pk").first()


def test_a_case_worker_writes_an_entry_that_gets_its_own_page_and_an_audit_row(caseworker, tenant):
    entry = create(caseworker)
    assert entry.origin == Origin.STAFF
    assert entry.url == f"/musterstadt/info/{entry.pk}"
    assert entry.tags == ["hunde", "park"]
    assert entry.body.startswith("## Öffnungszeiten")
    row = AuditEntry.objects.get(action="kb.create", object_id=str(entry.pk))
    assert (row.tenant, row.actor_name) == (tenant, "sachbearbeitung@musterstadt.example")
    assert row.after["title"] == FORM["title"]
    page = caseworker.get(f"{BASE}/{entry.pk}").content.decode()
    assert "Entry saved." in page
    assert f'href="/musterstadt/info/{entry.pk}"' in page
    listing = caseworker.get(f"{BASE}/?q=hundewiese").content.decode()
    assert f'href="{BASE}/{entry.pk}"' in listing
    assert "1 entry" in listing


def test_the_assistant_answers_from_a_new_entry_at_once(caseworker, tenant):
    service.knowledge(tenant)  # the index as it was, cached
    entry = create(caseworker)
    answer = service.ask(tenant, "Wann ist die Hundewiese am Stadtpark offen?", "de")
    assert answer.answered
    assert answer.sources[0]["url"] == entry.url


def test_an_external_address_is_kept_and_checked(caseworker, tenant):
    entry = create(caseworker, url="https://www.musterstadt.example/hundewiese")
    assert entry.url == "https://www.musterstadt.example/hundewiese"
    assert caseworker.get(f"/musterstadt/info/{entry.pk}").status_code == 404
    for bad in ("javascript:alert(1)", "ftp://musterstadt.example/x", "www.musterstadt.example"):
        response = caseworker.post(f"{BASE}/new", {**FORM, "title": "Andere", "url": bad})
        assert response.status_code == 400
        assert 'id="url-error"' in response.content.decode()
    response = caseworker.post(
        f"{BASE}/new", {**FORM, "title": "Doppelt", "url": imported(tenant).url}
    )
    assert "Another entry of the knowledge base already has this address." in (
        response.content.decode()
    )
    assert not Entry.objects.filter(title__in=["Andere", "Doppelt"]).exists()


def test_validation_errors_name_their_fields_and_keep_what_was_typed(caseworker, tenant):
    before = Entry.objects.count()
    response = caseworker.post(
        f"{BASE}/new",
        {
            **FORM,
            "title": " ",
            "body": "",
            "language": "fr",
            "tags": ",".join(f"t{i}" for i in range(21)),
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    for field, message in (
        ("title", "Enter a title."),
        ("body", "Write the text of the entry."),
        ("language", "Choose one of the town&#x27;s languages."),
        ("tags", "At most 20 tags."),
    ):
        assert f'<a href="#{field}">{message}</a>' in page
        assert f'<span class="error-text" id="{field}-error">{message}</span>' in page
    assert 'id="title" name="title"' in page
    assert 'aria-describedby="title-error"' in page
    assert Entry.objects.count() == before
    long = caseworker.post(f"{BASE}/new", {**FORM, "title": "x" * 301})
    assert "at most 300 characters" in long.content.decode()


def test_editing_changes_the_entry_moves_updated_at_and_audits_before_and_after(caseworker):
    entry = create(caseworker)
    Entry.objects.filter(pk=entry.pk).update(updated_at=timezone.now() - timedelta(days=3))
    form = caseworker.get(f"{BASE}/{entry.pk}").content.decode()
    assert 'value="hunde, park"' in form
    changed = {**FORM, "title": "Hundewiese im Stadtpark", "url": ""}
    assert caseworker.post(f"{BASE}/{entry.pk}", changed).status_code == 302
    entry.refresh_from_db()
    assert entry.title == "Hundewiese im Stadtpark"
    assert timezone.now() - entry.updated_at < timedelta(minutes=1)
    assert entry.url == f"/musterstadt/info/{entry.pk}"
    row = AuditEntry.objects.get(action="kb.update", object_id=str(entry.pk))
    assert row.before["title"] == FORM["title"]
    assert row.after["title"] == "Hundewiese im Stadtpark"
    # An external address replaces the own page, and removing it brings the page back.
    caseworker.post(f"{BASE}/{entry.pk}", {**changed, "url": "https://example.org/hunde"})
    entry.refresh_from_db()
    assert entry.url == "https://example.org/hunde"
    caseworker.post(f"{BASE}/{entry.pk}", changed)
    entry.refresh_from_db()
    assert entry.url == f"/musterstadt/info/{entry.pk}"


def test_deleting_an_entry_is_audited(caseworker):
    entry = create(caseworker)
    response = caseworker.post(f"{BASE}/{entry.pk}/delete")
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}/"
    assert not Entry.objects.filter(pk=entry.pk).exists()
    row = AuditEntry.objects.get(action="kb.delete", object_id=str(entry.pk))
    assert row.before["title"] == FORM["title"]


@pytest.mark.parametrize(
    ("origin", "where"),
    [
        (Origin.IMPORT, "stadtbote kb import"),
        (Origin.MESSAGE, "published message"),
        (Origin.CATEGORY, "report category"),
        (Origin.CONTACT, "office hours and contacts"),
    ],
)
def test_imported_and_derived_entries_are_read_only_with_where_to_change_them(
    caseworker, tenant, origin, where
):
    entry = imported(tenant)
    Entry.objects.filter(pk=entry.pk).update(origin=origin)
    entry.refresh_from_db()
    page = caseworker.get(f"{BASE}/{entry.pk}").content.decode()
    assert where in page
    assert 'id="read-only-note"' in page
    assert '<form method="post"' not in page.split("<main")[1]
    response = caseworker.post(f"{BASE}/{entry.pk}", {**FORM})
    assert response.status_code == 409
    assert caseworker.post(f"{BASE}/{entry.pk}/delete").status_code == 409
    after = Entry.objects.get(pk=entry.pk)
    assert (after.title, after.body, after.updated_at) == (
        entry.title,
        entry.body,
        entry.updated_at,
    )
    assert not AuditEntry.objects.filter(action__startswith="kb.").exists()


def test_the_list_searches_titles_and_filters_by_origin_and_language(caseworker, tenant):
    create(caseworker)
    create(caseworker, title="Dog meadow", language="en")
    everything = caseworker.get(f"{BASE}/").content.decode()
    total = Entry.objects.filter(tenant=tenant).count()
    assert f"{total} entries" in everything
    assert "Page 1 of" in everything  # 50 a page; the demo alone has more
    assert 'href="?page=2"' in everything.replace("&amp;", "&").replace("?&", "?")
    staff_only = caseworker.get(f"{BASE}/?origin=staff").content.decode()
    assert "2 entries" in staff_only
    english = caseworker.get(f"{BASE}/?origin=staff&language=en").content.decode()
    assert "1 entry" in english
    assert "Dog meadow" in english
    assert "Hundewiese" not in english
    search = caseworker.get(f"{BASE}/?q=personalausweis").content.decode()
    titles = re.findall(r'<th scope="row"><a [^>]*>([^<]+)</a>', search)
    assert titles
    assert all("personalausweis" in t.lower() for t in titles)
    assert "read-only" in search  # imported entries are marked
    nonsense = caseworker.get(f"{BASE}/?origin=evil&language=xx&page=abc")
    assert nonsense.status_code == 200


def test_the_nav_links_the_knowledge_base_for_every_console_role(tenant):
    for role in ("admin", "publisher", "caseworker", "viewer"):
        page = signed_in(tenant, role).get(f"{BASE}/").content.decode()
        assert f'href="{BASE}/" aria-current="page"' in page, role


def test_a_viewer_reads_but_cannot_write_edit_delete_or_review(viewer, caseworker, tenant):
    entry = create(caseworker)
    assert viewer.get(f"{BASE}/").status_code == 200
    page = viewer.get(f"{BASE}/{entry.pk}")
    assert page.status_code == 200
    assert "Hundewiese" in page.content.decode()
    assert 'name="title"' not in page.content.decode()
    assert viewer.get(f"{BASE}/new").status_code == 403
    assert viewer.post(f"{BASE}/new", {**FORM, "title": "Vom Viewer"}).status_code == 403
    assert viewer.post(f"{BASE}/{entry.pk}", {**FORM, "title": "Geändert"}).status_code == 403
    assert viewer.post(f"{BASE}/{entry.pk}/delete").status_code == 403
    assert viewer.get(f"{BASE}/review").status_code == 403
    assert Entry.objects.get(pk=entry.pk).title == FORM["title"]
    assert not Entry.objects.filter(title="Vom Viewer").exists()


def test_publishers_and_admins_keep_the_knowledge_base_too(tenant):
    for role in ("publisher", "admin"):
        client = signed_in(tenant, role)
        create(client, title=f"Eintrag von {role}")


def test_another_towns_staff_get_404_and_never_see_this_towns_entries(
    caseworker, other_town_worker, other_town
):
    entry = create(caseworker)
    for path in (f"{BASE}/", f"{BASE}/new", f"{BASE}/{entry.pk}", f"{BASE}/review"):
        assert other_town_worker.get(path).status_code == 404, path
    assert other_town_worker.post(f"{BASE}/{entry.pk}", FORM).status_code == 404
    assert other_town_worker.post(f"{BASE}/{entry.pk}/delete").status_code == 404
    theirs = Entry.objects.create(
        tenant=other_town, url="/nachbarort/info/x", title="Bauhof", body="Text", origin="staff"
    )
    assert caseworker.get(f"{BASE}/{theirs.pk}").status_code == 404
    assert caseworker.post(f"{BASE}/{theirs.pk}", FORM).status_code == 404
    assert caseworker.post(f"{BASE}/{theirs.pk}/delete").status_code == 404
    assert other_town_worker.get("/nachbarort/staff/knowledge/").status_code == 200
    listing = other_town_worker.get("/nachbarort/staff/knowledge/").content.decode()
    assert "Bauhof" in listing
    assert "Hundewiese" not in listing
    assert Entry.objects.get(pk=theirs.pk).title == "Bauhof"
    assert Entry.objects.filter(pk=entry.pk).exists()
