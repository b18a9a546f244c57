"""Reporting a problem in the citizen app without JavaScript: one multipart form, errors next
to their fields, likely duplicates offered first, photos checked before anything is stored."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from stadtbote.reports import service
from stadtbote.reports.models import Case, CasePhoto, Follower
from stadtbote.web.views import reporting
from tests.conftest import ALTSTADT
from tests.web.support import sign_up, text


def jpeg(name: str = "loch.jpg", size: tuple[int, int] = (640, 480)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (120, 90, 60)).save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "category": "schlagloch",
        "lat": str(ALTSTADT[0]),
        "lon": str(ALTSTADT[1]),
        "address": "Lange Straße 12",
        "description": "Tiefes Loch vor der Bäckerei",
        "q-schlagloch-size": "large",
        "name": "",
        "email": "",
        "phone": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def send(client, **changes: Any):
    return client.post("/musterstadt/report", form(**changes), HTTP_ACCEPT_LANGUAGE="en")


def test_the_form_lists_the_categories_by_group_with_their_questions(client, tenant):
    page = text(client.get("/musterstadt/report", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Roads and paths" in page
    assert 'id="cat-schlagloch"' in page
    assert 'name="q-schlagloch-size"' in page
    assert 'enctype="multipart/form-data"' in page
    assert 'aria-current="page">Report a problem' in page


def test_a_report_with_photos_opens_a_case_and_thanks_the_citizen(client, tenant):
    response = send(client, email="ada@example.org", photos=[jpeg("a.jpg"), jpeg("b.png")])
    assert response.status_code == 302
    case = Case.objects.get()
    assert response["Location"] == f"/musterstadt/reports/{case.public_id}?new=1"
    assert (case.category.slug, case.answers, case.reporter_email) == (
        "schlagloch",
        {"size": "large"},
        "ada@example.org",
    )
    assert CasePhoto.objects.filter(case=case).count() == 2
    thanks = text(client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en"))
    assert "Thank you! Your report has the number 1." in thanks
    assert "You will have a first answer by:" in thanks


def test_an_anonymous_report_with_only_an_address_is_fine(client, tenant):
    response = send(client, lat="", lon="", category="muell", **{"q-schlagloch-size": ""})
    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.lat, case.address, case.reporter_email) == (None, "Lange Straße 12", "")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"category": ""}, "category", "Choose what you want to report."),
        ({"lat": "", "lon": "", "address": ""}, "location", "Set the place on the map or"),
        ({"lat": "48.1", "lon": "11.6"}, "location", "This place is outside the town."),
        ({"q-schlagloch-size": ""}, "q-schlagloch-size", "Please answer the questions marked"),
        ({"q-schlagloch-size": "huge"}, "q-schlagloch-size", "Please answer the questions marked"),
        ({"email": "kein-at"}, "email", "This is not a valid e-mail address."),
    ],
)
def test_each_mistake_is_shown_next_to_its_field_and_keeps_what_was_typed(
    client, tenant, changes, field, message
):
    response = send(client, **changes)
    assert response.status_code == 422
    page = text(response)
    assert f'href="#{field}"' in page
    assert message in page
    assert "Tiefes Loch vor der Bäckerei" in page
    assert not Case.objects.exists()


def test_the_answers_to_the_questions_are_kept_when_the_form_comes_back(client, tenant):
    page = text(send(client, email="kein-at"))
    assert 'value="large" id="q-schlagloch-size-large" checked' in page
    page = text(
        send(
            client,
            category="strassenlaterne",
            email="kein-at",
            **{"q-strassenlaterne-mast": "M 17"},
        )
    )
    assert 'name="q-strassenlaterne-mast" value="M 17"' in page


def test_a_wrong_answer_and_a_missing_place_are_marked_on_their_fields(client, tenant):
    page = text(send(client, **{"q-schlagloch-size": ""}))
    assert (
        '<fieldset class="group" id="q-schlagloch-size" aria-describedby="q-schlagloch-size-error">'
        in page
    )
    page = text(send(client, lat="", lon="", address=""))
    for field in ("point-lat", "point-lon", "address"):
        assert f'id="{field}" aria-invalid="true" aria-describedby="location-error"' in page


def test_a_file_that_is_not_a_photo_stores_nothing(client, tenant):
    fake = SimpleUploadedFile("loch.jpg", b"%PDF-1.4 not a photo", content_type="image/jpeg")
    response = send(client, photos=[fake])
    assert response.status_code == 422
    assert "This file is not a photo we can read." in text(response)
    assert not Case.objects.exists()


def test_more_than_three_photos_are_refused(client, tenant):
    response = send(client, photos=[jpeg(f"{i}.jpg") for i in range(4)])
    assert response.status_code == 422
    assert "At most 3 photos." in text(response)


def test_a_likely_duplicate_is_offered_before_a_second_report_is_stored(client, tenant):
    first = service.create_case(
        tenant,
        {
            "category": "schlagloch",
            "lat": ALTSTADT[0],
            "lon": ALTSTADT[1],
            "answers": {"size": "small"},
        },
    )
    offered = send(client)
    assert offered.status_code == 200
    page = text(offered)
    assert "Already reported nearby" in page
    assert f"/musterstadt/reports/{first.public_id}" in page
    assert 'name="confirmed_new" id="confirmed-new" value="1"' in page
    assert Case.objects.count() == 1
    assert send(client, confirmed_new="1").status_code == 302
    assert Case.objects.count() == 2


def test_a_subscriber_who_reports_follows_the_report_in_the_app(client, tenant):
    sub = sign_up(client)
    send(client)
    follower = Follower.objects.get(subscriber=sub)
    assert follower.is_reporter


def test_too_many_reports_from_one_connection_are_refused(client, tenant, monkeypatch):
    monkeypatch.setattr(service, "REPORTS_PER_HOUR", 1)
    assert send(client, category="muell").status_code == 302
    response = send(client, category="muell")
    assert response.status_code == 429
    assert "Too many reports from your connection." in text(response)


def test_mistakes_do_not_use_up_the_limit_but_endless_posting_is_stopped(
    client, tenant, monkeypatch
):
    monkeypatch.setattr(service, "REPORTS_PER_HOUR", 1)
    for _ in range(3):
        assert send(client, category="").status_code == 422  # corrected and sent again
    assert send(client, category="muell").status_code == 302
    for _ in range(reporting.POSTS_PER_REPORT - 4):
        send(client, category="")
    assert send(client, category="").status_code == 429


def test_after_a_mistake_the_citizen_is_asked_to_choose_the_photos_again(client, tenant):
    response = send(client, category="", photos=[jpeg()])
    assert "Please choose your photos again" in text(response)
    assert "Please choose your photos again" not in text(send(client, category=""))


def test_the_report_form_needs_the_csrf_token(tenant):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/musterstadt/report", form()).status_code == 403


def test_an_infinite_position_is_refused_not_a_crash(client, tenant):
    response = send(client, lat="inf", lon="1e400")
    assert response.status_code == 422
