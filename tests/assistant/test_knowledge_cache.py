"""The town's index is built once and rebuilt when its pages change; after the first build,
questions are answered from the current index while the new one is built in the background."""

from __future__ import annotations

import pytest

from stadtbote.assistant import service
from stadtbote.assistant.models import Entry

pytestmark = pytest.mark.django_db(transaction=True)

BARBECUE = "https://www.musterstadt.example/freizeit/grillen"


def add_barbecue_page(tenant) -> Entry:
    return Entry.objects.create(
        tenant=tenant,
        url=BARBECUE,
        title="Grillen im Stadtpark",
        body="Grillen ist im Stadtpark nur auf der Grillwiese erlaubt.",
        language="de",
        origin="import",
    )


def cites_barbecue(tenant) -> bool:
    answer = service.ask(tenant, "Darf ich im Stadtpark grillen?", "de")
    return BARBECUE in {s["url"] for s in answer.sources}


def test_a_changed_knowledge_base_is_used_from_the_next_question_on(tenant):
    assert not cites_barbecue(tenant)
    add_barbecue_page(tenant)
    assert cites_barbecue(tenant)  # tests build synchronously (tests/settings.py)


def test_in_production_the_old_index_answers_while_the_new_one_is_built(tenant, settings):
    settings.STADTBOTE_ASSISTANT_REBUILD_IN_BACKGROUND = True
    assert not cites_barbecue(tenant)  # the first build is waited for
    add_barbecue_page(tenant)
    before = service._built[tenant.pk]
    cites_barbecue(tenant)  # answered at once, from the index it had; a build starts
    service.wait_for_rebuilds()
    assert service._built[tenant.pk] is not before
    assert cites_barbecue(tenant)


def test_a_failed_background_build_keeps_the_old_index(tenant, settings, monkeypatch):
    settings.STADTBOTE_ASSISTANT_REBUILD_IN_BACKGROUND = True
    cites_barbecue(tenant)
    before = service._built[tenant.pk]

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(service.Index, "from_pages", broken)
    add_barbecue_page(tenant)
    assert not cites_barbecue(tenant)
    service.wait_for_rebuilds()
    assert service._built[tenant.pk] is before
    assert not service._rebuilding


def test_a_removed_entry_is_never_cited_again_even_once(tenant, settings):
    settings.STADTBOTE_ASSISTANT_REBUILD_IN_BACKGROUND = True
    page = add_barbecue_page(tenant)
    assert cites_barbecue(tenant)
    page.delete()  # e.g. it held personal data: that build is waited for
    assert not cites_barbecue(tenant)
