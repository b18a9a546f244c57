"""A report's public answer becomes a knowledge-base entry: the case page offers it once there
is a public answer, the form comes filled in (nothing stored, nothing public), saving creates
the entry once and updates the same entry on every later save."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from stadtbote.assistant.models import Entry, Origin
from stadtbote.audit.models import AuditEntry
from stadtbote.reports import service
from stadtbote.reports.models import Case
from tests.staff.conftest import report, signed_in


@pytest.fixture
def caseworker(tenant):
    # Keeping the knowledge base changes what citizens read: a second factor whatever the role.
    return signed_in(tenant, "caseworker", with_second_factor=True)


QUESTION = (
    "Wann wird der Sperrmüll in der Altstadt abgeholt? Ich habe einen alten Schrank und zwei "
    "Matratzen und weiß nicht, ob ich die vorher anmelden muss."
)
REPLY = "Guten Tag Frau Muster, Sperrmüll melden Sie online an; wir holen ihn binnen 14 Tagen ab."
CLEANED = "Sperrmüll melden Sie online an; wir holen ihn binnen 14 Tagen ab."


@pytest.fixture
def case(tenant) -> Case:
    return report(tenant, description=QUESTION)


def answer(case: Case, text: str = REPLY) -> None:
    user = get_user_model().objects.get(username="sachbearbeitung@musterstadt.example")
    service.reply(case, text, user)


def path(case: Case) -> str:
    return f"/musterstadt/staff/cases/{case.number}/to-knowledge"


def form(**changes: str) -> dict[str, str]:
    return {
        "title": "Wann wird der Sperrmüll in der Altstadt abgeholt?",
        "body": f"{' '.join(QUESTION.split())}\n\n{CLEANED}",
        "language": "de",
        "tags": "sperrmüll",
        "url": "",
        **changes,
    }


def test_without_a_public_answer_the_case_page_offers_nothing(caseworker, case):
    service.add_note(case, "intern", None)
    page = caseworker.get(f"/musterstadt/staff/cases/{case.number}").content.decode()
    assert "to-knowledge" not in page
    response = caseworker.get(path(case))
    assert response.status_code == 302
    assert response["Location"] == f"/musterstadt/staff/cases/{case.number}"
    assert caseworker.post(path(case), form()).status_code == 302
    assert not Entry.objects.filter(origin=Origin.ANSWER).exists()


def test_the_button_opens_the_form_filled_in_and_stores_nothing(caseworker, case):
    answer(case, "Erste Antwort.")
    answer(case)
    page = caseworker.get(f"/musterstadt/staff/cases/{case.number}").content.decode()
    assert page.count(f'href="/musterstadt/staff/cases/{case.number}/to-knowledge"') == 1
    assert "Add answer to the knowledge base" in page
    before = Entry.objects.count()
    response = caseworker.get(path(case))
    filled = response.content.decode()
    assert response.status_code == 200
    # The question shortened at a sentence as the title, in full as the first line.
    assert 'value="Wann wird der Sperrmüll in der Altstadt abgeholt?"' in filled
    assert f">{' '.join(QUESTION.split())}\n\n{REPLY}</textarea>" in filled
    assert "Erste Antwort" not in filled  # the latest public answer only
    assert "remove all personal data" in filled
    assert Entry.objects.count() == before


def test_saving_creates_the_entry_once_and_a_second_time_updates_it(caseworker, case, tenant):
    answer(case)
    response = caseworker.post(path(case), form())
    entry = Entry.objects.get(origin=Origin.ANSWER)
    assert response.status_code == 302
    assert response["Location"] == f"/musterstadt/staff/knowledge/{entry.pk}"
    assert (entry.title, entry.language, entry.tags) == (form()["title"], "de", ["sperrmüll"])
    assert entry.body.endswith(CLEANED)
    assert "Muster" not in entry.body
    assert entry.url == f"/musterstadt/info/{entry.pk}"
    created = AuditEntry.objects.get(action="kb.create", object_id=str(entry.pk))
    assert created.after["case"] == case.number
    edit = caseworker.get(response["Location"]).content.decode()
    assert f'href="/musterstadt/staff/cases/{case.number}"' in edit  # where it came from

    answer(case, "Sperrmüll holen wir jetzt binnen 7 Tagen ab.")
    again = caseworker.get(path(case)).content.decode()
    assert "already in the knowledge base" in again
    assert 'value="sperrmüll"' in again  # tags kept from the entry
    second = caseworker.post(path(case), form(body="Binnen 7 Tagen."))
    assert second["Location"] == f"/musterstadt/staff/knowledge/{entry.pk}"
    assert Entry.objects.filter(origin=Origin.ANSWER).count() == 1
    entry.refresh_from_db()
    assert entry.body == "Binnen 7 Tagen."
    updated = AuditEntry.objects.get(action="kb.update", object_id=str(entry.pk))
    assert updated.before["body"].endswith(CLEANED)
    assert updated.after["case"] == case.number


def test_an_answer_entry_deleted_is_made_anew(caseworker, case):
    answer(case)
    caseworker.post(path(case), form())
    first = Entry.objects.get(origin=Origin.ANSWER)
    caseworker.post(f"/musterstadt/staff/knowledge/{first.pk}/delete")
    caseworker.post(path(case), form())
    assert Entry.objects.filter(origin=Origin.ANSWER).exclude(pk=first.pk).count() == 1


def test_the_case_language_decides_and_errors_name_their_fields(caseworker, case):
    Case.objects.filter(pk=case.pk).update(language="en")
    answer(case)
    filled = caseworker.get(path(case)).content.decode()
    assert '<option value="en" selected>' in filled
    response = caseworker.post(path(case), form(title="", url="javascript:alert(1)"))
    page = response.content.decode()
    assert response.status_code == 400
    assert '<a href="#title">' in page
    assert '<a href="#url">' in page
    assert f'action="/musterstadt/staff/cases/{case.number}/to-knowledge"' in page
    assert not Entry.objects.filter(origin=Origin.ANSWER).exists()


@pytest.mark.parametrize("role", ["viewer", "publisher"])
def test_only_those_who_handle_cases_and_keep_the_knowledge_base_may(role, case, tenant):
    # Viewers may not keep the knowledge base; publishers may, but not read cases.
    answer(case)
    client = signed_in(tenant, role)
    assert client.get(path(case)).status_code == 403
    assert client.post(path(case), form()).status_code == 403
    assert not Entry.objects.filter(origin=Origin.ANSWER).exists()


def test_the_admin_may(case, tenant):
    answer(case)
    assert signed_in(tenant, "admin").post(path(case), form()).status_code == 302
    assert Entry.objects.filter(origin=Origin.ANSWER).count() == 1


def test_another_towns_staff_get_404(other_town_worker, other_town, case):
    from django.contrib.auth import get_user_model as users

    from tests.staff.conftest import second_factor

    second_factor(
        other_town_worker, other_town, users().objects.get(username="bauhof@nachbarort.example")
    )
    answer(case)
    assert other_town_worker.get(path(case)).status_code == 404
    assert other_town_worker.post(path(case), form()).status_code == 404
    assert (
        other_town_worker.post("/nachbarort/staff/cases/1/to-knowledge", form()).status_code == 404
    )
    assert not Entry.objects.filter(origin=Origin.ANSWER).exists()
