"""Every staff page checks the town and the role: another town's staff see nothing (404, as if
there were nothing), a role without the right gets 403, nobody gets a cached copy."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from stadtbote.reports import media
from stadtbote.reports.models import CasePhoto
from tests.staff.conftest import report

PAGES = ["", "cases/", "cases/1", "cases/1/reply-text?template=x", "numbers"]
ACTIONS = [
    ("status", {"status": "in_progress"}),
    ("reply", {"text": "Wir kümmern uns."}),
    ("note", {"text": "Bauhof informiert"}),
    ("assign", {"assignee": "me"}),
    ("route", {"category": "muell"}),
    ("merge", {"into": "2"}),
    ("moderate", {"public_description": "Loch", "published": "1"}),
]


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 90, 60)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def cases(tenant):
    first = report(tenant)
    report(tenant)
    media.add_photo(first, jpeg())
    return first


@pytest.mark.parametrize("page", PAGES)
def test_a_visitor_who_is_not_signed_in_is_sent_to_the_sign_in_page(client, cases, page):
    response = client.get(f"/musterstadt/staff/{page}")
    assert response.status_code == 302
    assert response["Location"].startswith("/musterstadt/staff/login?next=")


@pytest.mark.parametrize("page", [*PAGES, "cases/1/photos/{photo}"])
def test_staff_of_another_town_find_nothing_here(other_town_worker, cases, page):
    photo = CasePhoto.objects.get(case=cases).pk
    response = other_town_worker.get(f"/musterstadt/staff/{page.format(photo=photo)}")
    assert response.status_code == 404


@pytest.mark.parametrize(("action", "form"), ACTIONS)
def test_staff_of_another_town_cannot_change_a_case_here(other_town_worker, cases, action, form):
    response = other_town_worker.post(f"/musterstadt/staff/cases/1/{action}", form)
    assert response.status_code == 404
    cases.refresh_from_db()
    assert (cases.status, cases.published, cases.assignee_id) == ("received", False, None)
    assert cases.events.count() == 1


def test_a_case_number_of_another_town_is_not_found_in_this_one(caseworker, tenant, other_town):
    report(other_town, lat=52.0, lon=9.0, address="Dorfstraße 1", answers={})
    assert caseworker.get("/musterstadt/staff/cases/1").status_code == 404


@pytest.mark.parametrize(("action", "form"), ACTIONS)
def test_a_viewer_reads_cases_but_cannot_change_them(viewer, cases, action, form):
    assert viewer.get("/musterstadt/staff/cases/1").status_code == 200
    response = viewer.post(f"/musterstadt/staff/cases/1/{action}", form)
    assert response.status_code == 403
    assert b"does not allow this" in response.content
    assert cases.events.count() == 1


def test_a_viewer_cannot_hide_blur_or_remove_photos(viewer, cases):
    photo = CasePhoto.objects.get(case=cases)
    for action in ("hide", "blur", "remove"):
        response = viewer.post(f"/musterstadt/staff/cases/1/photos/{photo.pk}/{action}")
        assert response.status_code == 403
    photo.refresh_from_db()
    assert not photo.hidden


def test_a_publisher_sees_the_numbers_but_not_the_citizens_reports(publisher, cases):
    assert publisher.get("/musterstadt/staff/")["Location"] == "/musterstadt/staff/messages/"
    assert publisher.get("/musterstadt/staff/numbers").status_code == 200
    assert publisher.get("/musterstadt/staff/cases/").status_code == 403
    assert publisher.get("/musterstadt/staff/cases/1").status_code == 403
    assert (
        publisher.get(f"/musterstadt/staff/cases/1/photos/{cases.photos.get().pk}").status_code
        == 403
    )


def test_a_case_worker_may_handle_cases(caseworker, cases):
    assert caseworker.get("/musterstadt/staff/cases/").status_code == 200
    response = caseworker.post("/musterstadt/staff/cases/1/status", {"status": "in_progress"})
    assert response.status_code == 302


def test_staff_pages_are_never_cached(caseworker, cases):
    for page in ("cases/", "cases/1", f"cases/1/photos/{cases.photos.get().pk}", "numbers"):
        assert caseworker.get(f"/musterstadt/staff/{page}")["Cache-Control"] == "private, no-store"


def test_actions_only_accept_post(caseworker, cases):
    assert caseworker.get("/musterstadt/staff/cases/1/status").status_code == 405


def test_a_signed_in_user_who_left_the_staff_is_refused(caseworker, cases, tenant):
    tenant.staff.filter(user__username="sachbearbeitung@musterstadt.example").delete()
    assert caseworker.get("/musterstadt/staff/cases/").status_code == 404


def test_a_deactivated_account_is_refused(caseworker, cases):
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(username="sachbearbeitung@musterstadt.example").update(
        is_active=False
    )
    # Django's session check logs the inactive user out; the console sends them to sign in.
    assert caseworker.get("/musterstadt/staff/cases/").status_code == 302
