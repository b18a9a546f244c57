"""The rules for entries staff keep (assistant/entries.py), and how they live with `stadtbote
kb import`: an import changes and removes only what came from files, and skips a file whose
url an entry staff wrote, an answer or a derived entry already has."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone

from stadtbote.assistant import entries
from stadtbote.assistant.models import Entry, Origin
from stadtbote.audit.models import AuditEntry
from stadtbote.reports import service as reports
from tests.assistant.test_kb_import import SPERRMUELL, write
from tests.ops.conftest import run
from tests.support import cases


def draft(tenant, **fields: str) -> entries.Draft:
    form = {"title": "Hundewiese", "body": "Täglich offen.", "language": "de", **fields}
    return entries.validate(tenant, form)


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("  Wann  ist\nder Wertstoffhof offen? ", "Wann ist der Wertstoffhof offen?"),
        (
            "Wann wird der Sperrmüll in der Altstadt abgeholt? Ich habe einen alten Schrank und "
            "zwei Matratzen und weiß nicht, ob ich die anmelden muss.",
            "Wann wird der Sperrmüll in der Altstadt abgeholt?",
        ),
        (
            "Ich wollte fragen ob man den Grünschnitt aus dem Garten der Nachbarin die krank ist "
            "auch zum Wertstoffhof bringen darf und was das kostet",
            "Ich wollte fragen ob man den Grünschnitt aus dem Garten der Nachbarin die krank ist "
            "auch zum …",
        ),
    ],
)
def test_a_question_becomes_a_title_at_a_sentence_or_word_boundary(text, title):
    assert entries.short_title(text) == title
    assert len(entries.short_title(text)) <= entries.TITLE_FROM_TEXT + 2


def test_tags_and_languages_are_checked(tenant):
    assert draft(tenant, tags=" Hunde, park,, hunde ").tags == ["hunde", "park"]
    with pytest.raises(entries.EntryInvalid) as problem:
        draft(tenant, language="fr", url="mailto:amt@musterstadt.example")
    assert set(problem.value.errors) == {"language", "url"}


def test_an_entry_staff_write_gets_its_own_page_and_cannot_be_made_imported(tenant):
    entry = entries.save(None, tenant, draft(tenant))
    assert entry.url == entries.own_url(tenant, entry.pk)
    assert entries.has_own_page(entry)
    assert AuditEntry.objects.filter(action="kb.create", actor_name="").exists()
    Entry.objects.filter(pk=entry.pk).update(origin=Origin.IMPORT)
    entry.refresh_from_db()
    with pytest.raises(entries.NotEditable):
        entries.save(None, tenant, draft(tenant, title="Anders"), entry)
    with pytest.raises(entries.NotEditable):
        entries.delete(None, entry)


def test_a_case_answer_is_prefilled_from_the_moderated_text_and_the_latest_answer(tenant):
    case = cases.report(
        tenant, description="Frage von Ada Muster, Tel. 0151: Wann kommt der Sperrmüll?"
    )
    with pytest.raises(LookupError):
        entries.from_case(case)
    reports.reply(case, "Erste Antwort.", None)
    reports.reply(case, "Liebe Frau Muster, am Montag.", None)
    case.public_description = "Wann kommt der Sperrmüll?"
    case.save()
    fields = entries.from_case(case)
    assert fields["title"] == "Wann kommt der Sperrmüll?"
    assert fields["body"] == "Wann kommt der Sperrmüll?\n\nLiebe Frau Muster, am Montag."
    assert fields["language"] == "de"
    saved, created = entries.save_from_case(None, case, draft(tenant, **fields))
    again, created_again = entries.save_from_case(None, case, draft(tenant, title="Sperrmüll"))
    assert (created, created_again) == (True, False)
    assert again.pk == saved.pk
    assert again.origin == Origin.ANSWER
    assert entries.case_of(again) == case.number
    assert entries.entry_for_case(case) == again


# -- re-import ---------------------------------------------------------------------------------


def test_a_reimport_never_changes_or_removes_staff_answer_or_derived_entries(tenant, tmp_path):
    folder = write(tmp_path / "kb", {"sperrmuell.md": SPERRMUELL})
    run("kb", "import", str(folder), "--tenant", "musterstadt")
    staff = entries.save(None, tenant, draft(tenant, title="Von Hand"))
    linked = entries.save(None, tenant, draft(tenant, title="Verlinkt", url="https://a.example/x"))
    case = cases.report(tenant)
    reports.reply(case, "Antwort.", None)
    answer, _ = entries.save_from_case(None, case, draft(tenant, title="Antwort"))
    derived = Entry.objects.create(
        tenant=tenant, url="/musterstadt/test-derived", title="Bürgerbüro",
        body="Mo–Fr 8–12 Uhr", origin=Origin.CONTACT, updated_at=timezone.now(),
    )  # fmt: skip
    not_from_files = Entry.objects.filter(tenant=tenant).exclude(origin=Origin.IMPORT)
    keep = {e.pk: (e.title, e.body, e.url, e.updated_at) for e in not_from_files}
    assert {staff.pk, linked.pk, answer.pk, derived.pk} <= set(keep)

    # The folder now has a file at the staff entry's address, one at the derived entry's,
    # and one at a path where the console publishes its own entries; the old page is gone.
    collide = SPERRMUELL.replace("https://kb.test.example/sperrmuell", "https://a.example/x")
    contact = SPERRMUELL.replace("https://kb.test.example/sperrmuell", derived.url)
    own = SPERRMUELL.replace("https://kb.test.example/sperrmuell", "/musterstadt/info/999999")
    (folder / "sperrmuell.md").unlink()
    write(folder, {"a.md": collide, "b.md": contact, "c.md": own})
    out = run("kb", "import", str(folder), "--tenant", "musterstadt")

    assert "0 created" in out
    assert "1 removed" in out  # the imported page whose file is gone, nothing else
    assert "3 skipped as their url is taken" in out
    assert "written by staff" in out
    assert "derived from contacts" in out
    assert "the path of the console's own entry pages" in out
    for url in ("https://a.example/x", derived.url, "/musterstadt/info/999999"):
        assert url in out
    now = {e.pk: (e.title, e.body, e.url, e.updated_at) for e in Entry.objects.filter(pk__in=keep)}
    assert now == keep
    assert not Entry.objects.filter(tenant=tenant, origin=Origin.IMPORT).exists()

    # An empty folder removes every imported page, and only those.
    empty = write(tmp_path / "empty", {})
    run("kb", "import", str(empty), "--tenant", "musterstadt")
    assert set(Entry.objects.filter(tenant=tenant).values_list("pk", flat=True)) == set(keep)


def test_the_console_cannot_take_an_imported_pages_address(tenant, tmp_path: Path):
    folder = write(tmp_path / "kb", {"sperrmuell.md": SPERRMUELL})
    run("kb", "import", str(folder), "--tenant", "musterstadt")
    with pytest.raises(entries.EntryInvalid) as problem:
        draft(tenant, url="https://kb.test.example/sperrmuell")
    assert set(problem.value.errors) == {"url"}
