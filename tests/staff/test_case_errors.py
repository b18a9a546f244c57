"""A refused action on a case page: the error summary leads to the field, and the field says it
is invalid and which text explains why."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from stadtbote.reports import media
from stadtbote.reports.models import Case
from tests.staff.conftest import report


@pytest.fixture
def case(tenant) -> Case:
    return report(tenant)


def tag(page: str, element_id: str) -> str:
    found = re.search(rf'<[a-z]+ [^>]*\bid="{re.escape(element_id)}"[^>]*>', page)
    assert found, f"no element #{element_id}"
    return found.group(0)


@pytest.mark.parametrize(
    ("action", "posted", "field", "error"),
    [
        ("reply", {"text": " "}, "reply-text", "reply-error"),
        ("status", {"status": ""}, "new-status", "status-error"),
        ("assign", {"assignee": "9999"}, "assignee", "assign-error"),
        ("note", {"text": ""}, "note-text", "note-error"),
        ("route", {"category": "gibt-es-nicht"}, "route-category", "route-error"),
        ("merge", {"into": "999"}, "merge-into", "merge-error"),
    ],
)
def test_an_error_is_linked_to_its_field_and_the_field_to_it(
    caseworker, case, action, posted, field, error
):
    response = caseworker.post(f"/musterstadt/staff/cases/{case.number}/{action}", posted)
    assert response.status_code == 422
    page = response.content.decode()
    summary = page[
        page.index('id="error-summary"') : page.index("</div>", page.index("error-summary"))
    ]
    assert f'href="#{field}"' in summary
    element = tag(page, field)
    assert 'aria-invalid="true"' in element
    described = re.search(r'aria-describedby="([^"]*)"', element)
    assert described
    assert error in described.group(1).split()
    assert 'class="error-text"' in tag(page, error)
    # Only the refused field is marked.
    assert page.count('aria-invalid="true"') == 1


def test_the_answer_keeps_its_hint_besides_the_error(caseworker, case):
    page = caseworker.post(f"/musterstadt/staff/cases/{case.number}/reply", {"text": ""})
    element = tag(page.content.decode(), "reply-text")
    assert 'aria-describedby="reply-hint reply-error"' in element


def test_without_an_error_no_field_is_invalid(caseworker, case):
    page = caseworker.get(f"/musterstadt/staff/cases/{case.number}").content.decode()
    assert "aria-invalid" not in page
    assert 'aria-describedby="reply-hint"' in tag(page, "reply-text")


def test_a_photo_action_on_a_missing_photo_points_to_the_photos(caseworker, case):
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 120, 60)).save(out, "JPEG")
    photo = media.add_photo(case, out.getvalue())
    response = caseworker.post(
        f"/musterstadt/staff/cases/{case.number}/photos/{photo.pk}/shrink", {}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'href="#photos"' in page
    assert '<p class="error-text" id="photos-error">There is no such photo.</p>' in page
