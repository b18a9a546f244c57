"""The town's messages, report categories and offices become knowledge-base entries by
themselves, stay current when they change or expire, and never touch what the town imported
or wrote, nor another town's knowledge."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from stadtbote.assistant import derived, service
from stadtbote.assistant.models import Entry, Origin
from stadtbote.assistant.tasks import sync_all_towns
from stadtbote.messages.models import Message, MessageStatus
from stadtbote.reports.models import Category, CategoryKind, Department
from stadtbote.tenants.models import Municipality
from tests.support.tasks import drain

NOW = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)
HOURS_DE = "Montag bis Freitag 8:00–12:00 Uhr\nDonnerstag 14:00–18:00 Uhr"
HOURS_EN = "Monday to Friday 8 am – 12 noon\nThursday 2 pm – 6 pm"


def make_town(slug: str = "kleinstadt", name: str = "Kleinstadt") -> Municipality:
    town = Municipality.objects.create(
        slug=slug,
        name=name,
        default_language="de",
        languages=["de", "en"],
        center_lat=51.6,
        center_lon=8.3,
        contact_email=f"rathaus@{slug}.example",
        website=f"https://www.{slug}.example/",
    )
    office = Department.objects.create(
        tenant=town,
        slug="buergerbuero",
        name={"de": "Bürgerbüro", "en": "Citizens' Office"},
        phone="02941 123-100",
        address="Rathaus, Markt 1, 59555 Kleinstadt",
        public_email=f"buergerbuero@{slug}.example",
        opening_hours={"de": HOURS_DE, "en": HOURS_EN},
        public=True,
    )
    Department.objects.create(
        tenant=town,
        slug="bauhof",
        name={"de": "Bauhof"},
        phone="02941 123-900",
        address="Am Bauhof 2",
        public=False,
    )
    Category.objects.create(
        tenant=town,
        slug="schlagloch",
        name={"de": "Schlagloch", "en": "Pothole"},
        description={"de": "Löcher in Straße oder Gehweg", "en": "Holes in a road or pavement"},
        group={"de": "Straßen", "en": "Roads"},
        department=office,
        first_response_hours=24,
    )
    Category.objects.create(
        tenant=town,
        slug="spielplatz",
        name={"de": "Spielplatz beschädigt", "en": "Damaged playground"},
        group={"de": "Grün", "en": "Parks"},
        department=office,
        first_response_hours=8,
        first_response_clock="working",
    )
    Category.objects.create(
        tenant=town,
        slug="alt",
        name={"de": "Abgeschaltete Kategorie"},
        department=office,
        active=False,
    )
    Category.objects.create(
        tenant=town,
        slug="frage",
        name={"de": "Frage an die Stadt", "en": "Question to the town"},
        department=office,
        kind=CategoryKind.INQUIRY,
        first_response_hours=24,
    )
    return town


def message(town: Municipality, **fields: Any) -> Message:
    values: dict[str, Any] = {
        "title": {"de": "Vollsperrung Marktstraße", "en": "Marktstraße closed"},
        "body": {"de": "Wegen Kanalarbeiten gesperrt.", "en": "Closed for sewer works."},
        "severity": 2,
        "area": {"kind": "town"},
        "channels": ["email"],
        "status": MessageStatus.PUBLISHED,
        "published_at": NOW - timedelta(days=1),
        "expires_at": NOW + timedelta(days=3),
        **fields,
    }
    return Message.objects.create(tenant=town, **values)


def entries(town: Municipality, origin: str | None = None) -> dict[str, Entry]:
    found = Entry.objects.filter(tenant=town)
    if origin:
        found = found.filter(origin=origin)
    return {e.url: e for e in found}


@pytest.fixture
def town(db: None) -> Municipality:
    return make_town()


# -- each kind is created -------------------------------------------------------------------


def test_a_published_message_becomes_one_entry_per_language(town):
    m = message(
        town,
        instruction={"de": "Umleitung über den Ring.", "en": "Take the ring road."},
        source_name="Kreis Soest",
        source_url="https://warnung.example/1",
    )
    derived.sync_town(town, NOW)
    found = entries(town, Origin.MESSAGE)
    page = f"/kleinstadt/messages/{m.pk}"
    english = f"/language?language=en&next={page}"
    assert set(found) == {page, english}
    de, en = found[page], found[english]
    assert (de.language, de.title, de.translation_of) == ("de", "Vollsperrung Marktstraße", "")
    assert (en.language, en.title, en.translation_of) == ("en", "Marktstraße closed", page)
    assert "Wegen Kanalarbeiten gesperrt." in de.body
    assert "2026" in de.body  # when it was published and until when it is valid
    assert "Umleitung über den Ring." in de.body
    assert "Kreis Soest" in de.body
    assert "https://warnung.example/1" in de.body
    assert "Take the ring road." in en.body


def test_the_english_entry_of_a_message_opens_the_message_page_in_english(client, town):
    m = message(town)
    derived.sync_town(town, NOW)
    url = entries(town, Origin.MESSAGE)[f"/language?language=en&next=/kleinstadt/messages/{m.pk}"]
    response = client.get(url.url, follow=True)
    assert response.redirect_chain[-1][0] == f"/kleinstadt/messages/{m.pk}"
    assert '<html lang="en">' in response.content.decode()
    assert "Marktstraße closed" in response.content.decode()


def test_a_message_in_one_language_has_one_entry(town):
    m = message(town, title={"de": "Nur auf Deutsch"}, body={"de": "Text"})
    derived.sync_town(town, NOW)
    assert list(entries(town, Origin.MESSAGE)) == [f"/kleinstadt/messages/{m.pk}"]


def test_the_report_categories_become_one_page_per_language_with_their_promise(town):
    derived.sync_town(town, NOW)
    found = entries(town, Origin.CATEGORY)
    assert set(found) == {"/kleinstadt/report", "/language?language=en&next=/kleinstadt/report"}
    de = found["/kleinstadt/report"]
    assert "**Schlagloch**: Löcher in Straße oder Gehweg." in de.body
    assert "## Straßen" in de.body
    assert "## Grün" in de.body
    assert "24" in de.body.split("## Grün")[0]  # each category's first answer
    assert "8" in de.body.split("## Grün")[1]
    assert "Abgeschaltete Kategorie" not in de.body  # inactive
    # Questions are not something to report, but where they go is said.
    assert "Frage an die Stadt" in de.body.split("## Straßen")[1].split("## Grün")[1]
    en = found["/language?language=en&next=/kleinstadt/report"]
    assert "**Pothole**: Holes in a road or pavement." in en.body


def test_each_public_office_becomes_an_entry_with_hours_address_phone_and_email(town):
    derived.sync_town(town, NOW)
    found = entries(town, Origin.CONTACT)
    office = found["/kleinstadt/contacts#office-buergerbuero"]
    assert office.language == "de"
    assert "Bürgerbüro" in office.title
    for part in ("Rathaus, Markt 1", "02941 123-100", "buergerbuero@kleinstadt.example"):
        assert part in office.body
    assert "Montag bis Freitag 8:00–12:00 Uhr" in office.body
    assert "Bürgerbüro" in office.tags
    english = found["/language?language=en&next=/kleinstadt/contacts%23office-buergerbuero"]
    assert "Monday to Friday 8 am – 12 noon" in english.body
    assert "Citizens' Office" in english.title
    assert not [url for url in found if "bauhof" in url]  # not public
    town_page = found["/kleinstadt/contacts"]  # the town's general contact
    assert "rathaus@kleinstadt.example" in town_page.body
    assert "https://www.kleinstadt.example/" in town_page.body


# -- updates only on a real change ----------------------------------------------------------


def test_a_second_sync_changes_nothing_and_keeps_every_updated_at(town):
    message(town)
    first = derived.sync_town(town, NOW)
    assert first.created == len(entries(town)) > 0
    before = {url: e.updated_at for url, e in entries(town).items()}
    again = derived.sync_town(town, NOW)
    assert (again.created, again.updated, again.removed) == (0, 0, 0)
    assert again.unchanged == len(before)
    assert {url: e.updated_at for url, e in entries(town).items()} == before


def test_new_opening_hours_update_only_that_offices_entries(town):
    derived.sync_town(town, NOW)
    before = {url: e.updated_at for url, e in entries(town).items()}
    Department.objects.filter(tenant=town, slug="buergerbuero").update(
        opening_hours={"de": "Montag 8–12 Uhr", "en": HOURS_EN}
    )
    counts = derived.sync_town(town, NOW)
    assert (counts.created, counts.updated, counts.removed) == (0, 1, 0)
    after = entries(town)
    changed = [url for url, e in after.items() if e.updated_at != before[url]]
    assert changed == ["/kleinstadt/contacts#office-buergerbuero"]
    assert "Montag 8–12 Uhr" in after["/kleinstadt/contacts#office-buergerbuero"].body


def test_an_office_that_stops_being_public_leaves_the_knowledge(town):
    derived.sync_town(town, NOW)
    Department.objects.filter(tenant=town, slug="buergerbuero").update(public=False)
    derived.sync_town(town, NOW)
    assert not [url for url in entries(town, Origin.CONTACT) if "buergerbuero" in url]


# -- what is no longer current goes ----------------------------------------------------------


def test_withdrawn_expired_superseded_and_old_messages_leave_the_knowledge(town):
    withdrawn = message(town, title={"de": "Zurückgezogen"})
    message(town, title={"de": "Läuft ab"}, expires_at=NOW + timedelta(hours=1))
    first = message(town, title={"de": "Erste Fassung"})
    message(town, title={"de": "Neue Fassung"}, replaces=first)
    # Without an end date a message counts for 90 days; with one, until then.
    message(
        town, title={"de": "Vor Monaten"}, published_at=NOW - timedelta(days=91), expires_at=None
    )
    message(
        town,
        title={"de": "Baustelle bis zum Sommer"},
        published_at=NOW - timedelta(days=120),
        expires_at=NOW + timedelta(days=60),
    )
    derived.sync_town(town, NOW)
    titles = {e.title for e in entries(town, Origin.MESSAGE).values()}
    assert titles == {"Zurückgezogen", "Läuft ab", "Neue Fassung", "Baustelle bis zum Sommer"}

    Message.objects.filter(pk=withdrawn.pk).update(status=MessageStatus.CANCELLED)
    derived.sync_town(town, NOW + timedelta(hours=2))  # the expiry passed, nothing was saved
    titles = {e.title for e in entries(town, Origin.MESSAGE).values()}
    assert titles == {"Neue Fassung", "Baustelle bis zum Sommer"}


def test_a_held_update_does_not_supersede_the_published_message(town):
    first = message(town, title={"de": "Erste Fassung"})
    message(town, title={"de": "Wartet auf Freigabe"}, replaces=first, status=MessageStatus.DRAFT)
    derived.sync_town(town, NOW)
    assert {e.title for e in entries(town, Origin.MESSAGE).values()} == {"Erste Fassung"}


def test_drafts_and_scheduled_messages_are_not_knowledge_yet(town):
    message(town, title={"de": "Entwurf"}, status=MessageStatus.DRAFT, published_at=None)
    message(town, title={"de": "Geplant"}, status=MessageStatus.SCHEDULED, published_at=None)
    derived.sync_town(town, NOW)
    assert not entries(town, Origin.MESSAGE)


# -- what the town imported or wrote is never touched ----------------------------------------


def test_imported_and_staff_entries_are_never_touched(town):
    imported = Entry.objects.create(
        tenant=town,
        url="https://www.kleinstadt.example/hundesteuer",
        title="Hundesteuer",
        body="100 Euro im Jahr.",
        origin=Origin.IMPORT,
        updated_at=NOW,
    )
    # Staff wrote a page at the address a derived entry would take: theirs stays.
    staff = Entry.objects.create(
        tenant=town,
        url="/kleinstadt/contacts#office-buergerbuero",
        title="Bürgerbüro (von Hand)",
        body="Bitte anrufen.",
        origin=Origin.STAFF,
        updated_at=NOW,
    )
    answer = Entry.objects.create(
        tenant=town,
        url="/kleinstadt/info/7",
        title="Grillen im Park",
        body="Auf der Grillwiese.",
        origin=Origin.ANSWER,
        updated_at=NOW,
    )
    counts = derived.sync_town(town, NOW)
    assert counts.kept == 1
    Department.objects.filter(tenant=town).update(public=False)
    Category.objects.filter(tenant=town).update(active=False)
    Municipality.objects.filter(pk=town.pk).update(contact_email="", website="")
    town.refresh_from_db()
    derived.sync_town(town, NOW)
    assert not entries(town, Origin.CONTACT)
    assert not entries(town, Origin.CATEGORY)
    for before in (imported, staff, answer):
        after = Entry.objects.get(pk=before.pk)
        assert (after.url, after.title, after.body, after.origin, after.updated_at) == (
            before.url,
            before.title,
            before.body,
            before.origin,
            before.updated_at,
        )


def test_another_towns_data_never_reaches_this_towns_knowledge(town):
    other = make_town("nachbarort", "Nachbarort")
    message(other, title={"de": "Nur im Nachbarort"})
    Entry.objects.create(
        tenant=other, url="/nachbarort/info/1", title="Seite", body="Text", origin=Origin.STAFF
    )
    derived.sync_town(town, NOW)
    derived.sync_town(other, NOW)
    ours = entries(town)
    assert all(url.startswith(("/kleinstadt/", "/language?")) for url in ours)
    assert not [e for e in ours.values() if "nachbarort" in (e.url + e.body).lower()]
    assert "Nur im Nachbarort" in {e.title for e in entries(other, Origin.MESSAGE).values()}
    # and syncing the other town leaves ours alone
    before = {url: e.updated_at for url, e in entries(town).items()}
    Department.objects.filter(tenant=other).update(phone="0000")
    derived.sync_town(other, NOW)
    assert {url: e.updated_at for url, e in entries(town).items()} == before


# -- the assistant answers from it ------------------------------------------------------------


def test_the_assistant_answers_when_the_buergerbuero_is_open_from_the_contacts_entry(town):
    # The hours as the town entered them. (The entry's own German headings, "Öffnungszeiten"
    # and "… ist zu diesen Zeiten geöffnet", come from the German catalog.)
    Department.objects.filter(tenant=town, slug="buergerbuero").update(
        opening_hours={"de": "Geöffnet Montag bis Freitag 8:00–12:00 Uhr", "en": HOURS_EN}
    )
    Entry.objects.create(
        tenant=town,
        url="https://www.kleinstadt.example/hundesteuer",
        title="Hundesteuer",
        body="## Kosten\n\nDie Hundesteuer beträgt 100 Euro im Jahr für den ersten Hund.",
        origin=Origin.IMPORT,
    )
    derived.sync_town(town)
    answer = service.ask(town, "Wann hat das Bürgerbüro geöffnet?", "de")
    assert answer.answered
    assert answer.sources[0]["url"] == "/kleinstadt/contacts#office-buergerbuero"
    assert "Montag bis Freitag 8:00–12:00 Uhr" in answer.answer
    assert "02941" not in answer.answer  # the passage on the hours, not the whole entry


# -- kept current: signals, the task, the upkeep ---------------------------------------------


def queued_syncs() -> list[int]:
    return [
        t.args_kwargs["args"][0]
        for t in DBTaskResult.objects.filter(task_path__endswith="sync_town_knowledge")
    ]


@pytest.mark.django_db(transaction=True)
def test_changes_in_one_transaction_queue_one_sync_of_their_town_on_commit():
    town = make_town()
    DBTaskResult.objects.all().delete()
    with transaction.atomic():
        Department.objects.filter(tenant=town, slug="buergerbuero").get().save()
        Category.objects.filter(tenant=town, slug="schlagloch").get().save()
        message(town)
        town.save()
        assert queued_syncs() == []  # not before the commit
    assert queued_syncs() == [town.pk]


@pytest.mark.django_db(transaction=True)
def test_a_change_that_is_rolled_back_queues_nothing():
    town = make_town()
    DBTaskResult.objects.all().delete()
    with transaction.atomic():
        message(town)
        transaction.set_rollback(True)
    assert queued_syncs() == []


@pytest.mark.django_db(transaction=True)
def test_a_savepoint_rolled_back_after_the_first_change_still_leaves_one_sync():
    town = make_town()
    DBTaskResult.objects.all().delete()
    with transaction.atomic():
        try:
            with transaction.atomic():
                message(town, title={"de": "Verworfen"})
                raise RuntimeError("savepoint rolled back")
        except RuntimeError:
            pass
        message(town, title={"de": "Bleibt"})
    assert queued_syncs() == [town.pk]


@pytest.mark.django_db(transaction=True)
def test_deleting_an_office_queues_a_sync_and_the_task_removes_its_entries():
    town = make_town()
    drain()
    assert "/kleinstadt/contacts#office-buergerbuero" in entries(town)
    DBTaskResult.objects.all().delete()
    Category.objects.filter(tenant=town).delete()
    Department.objects.filter(tenant=town, slug="buergerbuero").delete()
    assert queued_syncs() == [town.pk, town.pk]  # autocommit: each change on its own
    drain()
    assert not [url for url in entries(town) if "buergerbuero" in url]
    assert not entries(town, Origin.CATEGORY)


@pytest.mark.django_db(transaction=True)
def test_the_task_skips_a_town_that_is_gone():
    town = make_town()
    town_id = town.pk
    DBTaskResult.objects.all().delete()
    with transaction.atomic():
        Category.objects.filter(tenant=town).delete()
        town.delete()
    assert queued_syncs() == [town_id]
    drain()  # the deletions queued a sync of a town that no longer exists; it does not fail
    [result] = DBTaskResult.objects.filter(task_path__endswith="sync_town_knowledge")
    assert result.return_value == "skipped"
    assert not Entry.objects.filter(tenant_id=town_id).exists()


@pytest.mark.django_db(transaction=True)
def test_the_upkeep_queues_a_sync_of_every_town_that_applies_expiries():
    town = make_town()
    other = make_town("nachbarort", "Nachbarort")
    m = message(town, published_at=None, expires_at=None)
    drain()
    assert f"/kleinstadt/messages/{m.pk}" in entries(town)
    Message.objects.filter(pk=m.pk).update(expires_at=datetime(2020, 1, 1, tzinfo=UTC))
    DBTaskResult.objects.all().delete()
    assert sync_all_towns() == 2
    assert sorted(queued_syncs()) == sorted([town.pk, other.pk])
    drain()
    assert not entries(town, Origin.MESSAGE)
    assert "assistant_derived" in service.JOBS


@pytest.mark.django_db(transaction=True)
def test_two_syncs_at_once_leave_each_entry_once():
    town = make_town()
    message(town)
    Entry.objects.filter(tenant=town).delete()
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def sync() -> None:
        try:
            start.wait()
            derived.sync_town(Municipality.objects.get(pk=town.pk), NOW)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sync) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    urls = list(Entry.objects.filter(tenant=town).values_list("url", flat=True))
    assert len(urls) == len(set(urls)) == len(derived.derive(town, NOW))


def test_a_sync_that_loses_a_race_for_an_url_tries_again(town, monkeypatch):
    from django.db import IntegrityError

    real = derived._apply
    calls: list[int] = []

    def racing(tenant: Municipality, wanted: list[derived.Derived]) -> derived.Counts:
        calls.append(1)
        if len(calls) == 1:
            raise IntegrityError("UNIQUE constraint failed: kb_entry_unique_url")
        return real(tenant, wanted)

    monkeypatch.setattr(derived, "_apply", racing)
    counts = derived.sync_town(town, NOW)
    assert len(calls) == 2
    assert counts.created == len(entries(town)) > 0


# -- the demo town ----------------------------------------------------------------------------


def test_the_demo_town_has_its_derived_knowledge_after_loading_and_again_unchanged(tenant):
    found = entries(tenant)
    assert "/musterstadt/contacts#office-buergerbuero" in found
    assert "/musterstadt/report" in found
    assert found["/musterstadt/contacts#office-buergerbuero"].origin == Origin.CONTACT
    assert "02941 980-100" in found["/musterstadt/contacts#office-buergerbuero"].body
    from stadtbote.ops.demo import load_demo

    before = {url: e.updated_at for url, e in entries(tenant).items()}
    load_demo(say=lambda _: None)
    assert {url: e.updated_at for url, e in entries(tenant).items()} == before


def test_opening_hours_typed_as_plain_text_in_the_admin_still_work(tenant, client):
    from stadtbote.reports.models import Department

    Department.objects.filter(tenant=tenant, slug="buergerbuero").update(
        opening_hours="Mo–Fr 8–12 Uhr"
    )
    derived.sync_town(tenant)
    assert client.get("/musterstadt/contacts").status_code == 200
    entry = Entry.objects.get(tenant=tenant, url="/musterstadt/contacts#office-buergerbuero")
    assert "Mo–Fr 8–12 Uhr" in entry.body
