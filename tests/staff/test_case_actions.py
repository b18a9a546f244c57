"""Handling one case from its page: answer (from a template), change status, assign, note,
re-route, merge, publish; each lands in the history, errors are shown in place."""

from __future__ import annotations

import pytest

from stadtbote.reports.models import Case, CaseEvent, Follower
from tests.staff.conftest import report


@pytest.fixture
def case(tenant) -> Case:
    return report(tenant)


def post(client, case: Case, action: str, **form: str):
    return client.post(f"/musterstadt/staff/cases/{case.number}/{action}", form)


def test_the_case_page_shows_everything_staff_need(caseworker, case):
    page = caseworker.get("/musterstadt/staff/cases/1").content.decode()
    for expected in (
        "Report 1: Pothole",
        "Lange Straße 12",
        "Ada Muster",
        "ada@example.org",
        "Tiefes Loch",
        "Civil Engineering Office",
        "Reported",
        "größer / larger",  # the answer's name, not its key
    ):
        assert expected in page
    assert 'id="case-map"' in page


def test_an_answer_reaches_the_history_as_public_and_counts_as_the_first_answer(caseworker, case):
    response = post(caseworker, case, "reply", text="Danke, wir sehen es uns an.")
    assert response.status_code == 302
    assert response["Location"].endswith("/cases/1#reply")
    case.refresh_from_db()
    assert case.first_response_at is not None
    event = case.events.last()
    assert (event.kind, event.public, event.text) == ("reply", True, "Danke, wir sehen es uns an.")
    assert "Answer sent." in caseworker.get(response["Location"]).content.decode()


def test_an_answer_with_a_new_status_is_one_public_event(caseworker, case):
    post(caseworker, case, "reply", text="Repariert.", status="resolved")
    case.refresh_from_db()
    assert case.status == "resolved"
    assert case.resolved_at is not None
    assert list(case.events.values_list("kind", "new_status", "text"))[1:] == [
        ("status", "resolved", "Repariert.")
    ]


def test_an_empty_answer_is_refused_in_place(caseworker, case):
    response = post(caseworker, case, "reply", text="  ")
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="error-summary"' in page
    assert "Write the answer." in page
    assert case.events.count() == 1


def test_a_reply_template_fills_the_answer_box(caseworker, case):
    page = caseworker.get("/musterstadt/staff/cases/1?template=eingegangen").content.decode()
    assert "Pothole" in page or "Schlagloch" in page
    partial = caseworker.get("/musterstadt/staff/cases/1/reply-text?template=eingegangen")
    assert partial.content.decode().startswith('<textarea id="reply-text"')
    assert "1" in partial.content.decode()


def test_a_forbidden_status_change_is_explained_and_changes_nothing(caseworker, case):
    post(caseworker, case, "status", status="resolved")
    response = post(caseworker, case, "status", status="scheduled")
    assert response.status_code == 422
    assert "not possible from the current status" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "resolved"


def test_only_the_statuses_the_state_machine_allows_are_offered(caseworker, case):
    page = caseworker.get("/musterstadt/staff/cases/1").content.decode()
    assert '<option value="closed">' not in page
    assert '<option value="in_progress">' in page


def test_taking_a_case_and_giving_it_to_nobody_is_recorded(caseworker, case, tenant):
    post(caseworker, case, "assign", assignee="me")
    case.refresh_from_db()
    assert case.assignee.username == "sachbearbeitung@musterstadt.example"
    post(caseworker, case, "assign", assignee="")
    case.refresh_from_db()
    assert case.assignee is None
    assigned = case.events.filter(kind="assigned")
    assert [e.data["to"] for e in assigned] == ["sachbearbeitung@musterstadt.example", ""]
    assert not any(e.public for e in assigned)


def test_a_case_cannot_be_given_to_someone_outside_the_towns_case_workers(
    caseworker, case, other_town_worker, tenant
):
    from django.contrib.auth import get_user_model

    outsider = get_user_model().objects.get(username="bauhof@nachbarort.example")
    publisher = tenant.staff.get(role="publisher").user
    for person in (outsider, publisher):
        response = post(caseworker, case, "assign", assignee=str(person.pk))
        assert response.status_code == 422
        assert "Not a case worker of this town." in response.content.decode()
    assert post(caseworker, case, "assign", assignee="9999").status_code == 422


def test_an_internal_note_stays_internal(caseworker, case):
    post(caseworker, case, "note", text="Bauhof fährt Donnerstag hin")
    event = case.events.last()
    assert (event.kind, event.public) == ("note", False)
    assert post(caseworker, case, "note", text="").status_code == 422


def test_changing_the_category_moves_the_case_to_that_department(caseworker, case):
    post(caseworker, case, "route", category="strassenlaterne")
    case.refresh_from_db()
    assert (case.category.slug, case.department.slug) == ("strassenlaterne", "stadtwerke")
    assert case.events.last().data["department"] == ["tiefbau", "stadtwerke"]
    assert post(caseworker, case, "route", category="gibt-es-nicht").status_code == 422


def test_merging_keeps_the_followers_of_both(caseworker, case, tenant):
    other = report(tenant, email="bert@example.org", name="Bert")
    response = post(caseworker, other, "merge", into="1")
    assert response.status_code == 302
    other.refresh_from_db()
    assert (other.status, other.duplicate_of_id) == ("duplicate", case.pk)
    assert set(Follower.objects.filter(case=case).values_list("email", flat=True)) == {
        "ada@example.org",
        "bert@example.org",
    }
    assert "Duplicate of" in caseworker.get("/musterstadt/staff/cases/2").content.decode()


@pytest.mark.parametrize("into", ["", "abc", "99", "1"])
def test_merging_into_a_missing_case_or_itself_is_refused(caseworker, case, into):
    response = post(caseworker, case, "merge", into=into)
    assert response.status_code == 422
    case.refresh_from_db()
    assert case.status == "received"


def test_publishing_keeps_the_edited_text_and_records_who_did_it(caseworker, case):
    post(caseworker, case, "moderate", public_description="Tiefes Loch", published="1")
    case.refresh_from_db()
    assert (case.published, case.public_description) == (True, "Tiefes Loch")
    event = CaseEvent.objects.filter(case=case, kind="moderated").get()
    assert event.actor.username == "sachbearbeitung@musterstadt.example"
    assert not event.public


def test_the_history_shows_public_and_internal_entries_apart(caseworker, case):
    post(caseworker, case, "note", text="Nur intern")
    post(caseworker, case, "reply", text="Für alle")
    page = caseworker.get("/musterstadt/staff/cases/1").content.decode()
    assert page.count('class="internal"') == 1
    assert page.count('class="public"') == 2
