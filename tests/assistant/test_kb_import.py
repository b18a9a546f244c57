"""`stadtbote kb import DIR --tenant SLUG`: pages from Markdown files with front matter; a
re-import updates and removes, leaves what staff edited, and a bad file changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management.base import CommandError

from stadtbote.assistant.kb_files import KbFileError, parse
from stadtbote.assistant.models import Entry, Origin, Synonym
from tests.ops.conftest import run

SPERRMUELL = """---
title: Sperrmüll anmelden
url: https://kb.test.example/sperrmuell
tags: [Abfall, Sperrmüll]
language: de
---
## Anmeldung
Sperrmüll melden Sie online an.
"""
AUSWEIS = """---
title: Personalausweis beantragen
url: https://kb.test.example/personalausweis
---
## Gebühren
37,00 € ab 24 Jahren.
"""


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_a_folder_of_pages_is_imported_with_its_synonyms(tenant, tmp_path):
    folder = write(tmp_path / "kb", {"sperrmuell.md": SPERRMUELL, "ausweis.md": AUSWEIS,
                                     "synonyms.yaml": "perso: [personalausweis]\n"})  # fmt: skip
    out = run("kb", "import", str(folder), "--tenant", "musterstadt")
    assert "2 created" in out  # the demo's own pages are removed: the folder is the truth
    # Derived entries (messages, contacts, …) are rebuilt from their sources, not imported.
    assert Entry.objects.filter(tenant=tenant, origin="import").count() == 2
    entry = Entry.objects.get(tenant=tenant, url__endswith="/sperrmuell")
    assert (entry.title, entry.language, entry.tags) == ("Sperrmüll anmelden", "de",
                                                         ["abfall", "sperrmüll"])  # fmt: skip
    assert entry.body.startswith("## Anmeldung")
    assert Synonym.objects.get(tenant=tenant, term="perso").expansions == ["personalausweis"]


def test_a_reimport_updates_changed_pages_removes_missing_ones_and_keeps_staff_edits(
    tenant, tmp_path
):
    folder = write(tmp_path / "kb", {"sperrmuell.md": SPERRMUELL, "ausweis.md": AUSWEIS})
    run("kb", "import", str(folder), "--tenant", "musterstadt")
    Entry.objects.filter(url__endswith="/personalausweis").update(
        origin=Origin.STAFF, body="## Gebühren\nVon Hand korrigiert."
    )
    (folder / "sperrmuell.md").write_text(SPERRMUELL.replace("online", "telefonisch"))
    write(folder, {"ausweis.md": AUSWEIS.replace("37,00", "46,00")})
    out = run("kb", "import", str(folder), "--tenant", "musterstadt")
    assert "1 updated" in out
    assert "kept" in out
    assert "telefonisch" in Entry.objects.get(url__endswith="/sperrmuell").body
    assert "Von Hand" in Entry.objects.get(url__endswith="/personalausweis").body
    (folder / "sperrmuell.md").unlink()
    assert "1 removed" in run("kb", "import", str(folder), "--tenant", "musterstadt")
    assert not Entry.objects.filter(url="https://kb.test.example/sperrmuell").exists()


def test_one_bad_file_stops_the_import_and_changes_nothing(tenant, tmp_path):
    folder = write(tmp_path / "kb", {"sperrmuell.md": SPERRMUELL,
                                     "kaputt.md": "---\ntitle: [unclosed\n---\n"})  # fmt: skip
    before = list(Entry.objects.order_by("url").values_list("url", "updated_at"))
    with pytest.raises(CommandError, match=r"kaputt\.md"):
        run("kb", "import", str(folder), "--tenant", "musterstadt")
    assert list(Entry.objects.order_by("url").values_list("url", "updated_at")) == before


def test_two_files_with_one_url_are_refused(tenant, tmp_path):
    folder = write(tmp_path / "kb", {"a.md": SPERRMUELL, "b.md": SPERRMUELL})
    with pytest.raises(CommandError, match="used by another file"):
        run("kb", "import", str(folder), "--tenant", "musterstadt")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("title: x\n", "without front matter"),
        ("---\ntitle: x\nurl: https://a.example/x\n", "not closed"),
        ("---\nurl: https://a.example/x\n---\n", "'title' is missing"),
        ("---\ntitle: x\nurl: javascript:alert(1)\n---\n", "'url' must be"),
        ("---\ntitle: x\nurl: /x\ntags: viele\n---\n", "'tags' must be"),
        ("---\n- a\n- b\n---\n", "key: value"),
    ],
)
def test_malformed_pages_are_refused_with_the_reason(text, problem):
    with pytest.raises(KbFileError, match=problem):
        parse(text, "seite.md")


def test_an_unknown_town_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="no municipality"):
        run("kb", "import", str(tmp_path), "--tenant", "atlantis")


def test_the_demo_town_comes_with_its_knowledge_base_in_german_and_english(tenant):
    pages = Entry.objects.filter(tenant=tenant)
    assert pages.filter(language="de").count() >= 40
    assert pages.filter(language="en").count() >= 12
    assert Synonym.objects.get(tenant=tenant, term="perso").expansions


@pytest.mark.parametrize("url", ["javascript:alert(1)", "//evil.example/x", "/\\evil.example"])
def test_a_page_whose_address_is_no_web_address_or_path_of_ours_is_refused(tmp_path, url):
    from stadtbote.assistant.kb_files import KbFileError, parse

    with pytest.raises(KbFileError, match="url"):
        parse(f"---\ntitle: X\nurl: '{url}'\nlanguage: de\ntags: [x]\n---\nText\n")
