"""An inquiry on the staff side: the same case page and actions as a report, minus the map,
and routing keeps it a question."""

from __future__ import annotations

import pytest

from stadtbote.reports import inquiries
from stadtbote.reports.models import Case


@pytest.fixture
def question(tenant) -> Case:
    return inquiries.open_inquiry(
        tenant, "Darf ich im Stadtpark grillen?", language="en", email="ada@example.org"
    )


def test_the_case_page_shows_the_question_without_a_map(caseworker, question):
    page = caseworker.get(f"/musterstadt/staff/cases/{question.number}").content.decode()
    assert "Darf ich im Stadtpark grillen?" in page
    assert "ada@example.org" in page
    assert 'id="case-map"' not in page


def test_an_answer_counts_as_the_first_answer(caseworker, question):
    caseworker.post(f"/musterstadt/staff/cases/{question.number}/reply", {"text": "Ja."})
    question.refresh_from_db()
    assert question.first_response_at is not None


def test_an_inquiry_cannot_be_routed_to_a_report_category(caseworker, question):
    page = caseworker.get(f"/musterstadt/staff/cases/{question.number}").content.decode()
    assert 'value="schlagloch"' not in page
    response = caseworker.post(
        f"/musterstadt/staff/cases/{question.number}/route", {"category": "schlagloch"}
    )
    assert response.status_code in (302, 422)
    question.refresh_from_db()
    assert question.category.slug == "frage"
