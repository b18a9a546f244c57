"""The reports API: categories, duplicates nearby, reporting with photos, public view, abuse."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from stadtbote.reports import service
from stadtbote.reports.models import Case, CasePhoto
from tests.conftest import ALTSTADT

BODY = {
    "category": "schlagloch",
    "lat": ALTSTADT[0],
    "lon": ALTSTADT[1],
    "description": "Tiefes Loch vor Hausnummer 12",
    "answers": {"size": "large"},
    "email": "ada@example.org",
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def call(api, method: str, path: str, body=None):
    response = api.post(path, body) if method == "POST" else api.get(path)
    return response.status_code, response.json()


def jpeg(size=(800, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


def upload(client, created, data: bytes, token: str | None = None):
    return client.post(
        f"/api/v1/musterstadt/reports/{created['id']}/photos?token={token or created['upload_token']}",
        {"photo": SimpleUploadedFile("IMG_0001.HEIC", data, content_type="image/heic")},
    )


def test_categories_are_listed_with_groups_and_questions(api, tenant):
    status, data = call(api, "GET", "musterstadt/categories?lang=en")
    assert status == 200
    pothole = next(c for c in data if c["slug"] == "schlagloch")
    assert pothole["group"] == "Roads and paths"
    assert pothole["questions"][0]["code"] == "size"


def test_a_citizen_reports_a_pothole_and_adds_photos(api, client, tenant, media):
    status, created = call(api, "POST", "musterstadt/reports", BODY)
    assert status == 201
    assert (created["number"], created["status"]) == (1, "received")
    response = upload(client, created, jpeg())
    assert response.status_code == 201
    photo = CasePhoto.objects.get()
    assert photo.image.name.endswith(".jpg")
    assert "IMG_0001" not in photo.image.name
    assert (photo.width, photo.height) == (800, 600)


def test_at_most_three_photos_and_only_with_the_reports_own_token(api, client, tenant):
    _, first = call(api, "POST", "musterstadt/reports", BODY)
    _, second = call(api, "POST", "musterstadt/reports", BODY)
    assert upload(client, first, jpeg(), token=second["upload_token"]).status_code == 403
    assert upload(client, first, jpeg(), token="forged").status_code == 403
    for _ in range(3):
        assert upload(client, first, jpeg()).status_code == 201
    refused = upload(client, first, jpeg())
    assert refused.status_code == 422
    assert refused.json()["field"] == "photo"


def test_a_file_that_is_not_a_photo_is_refused_naming_the_field(api, client, tenant):
    _, created = call(api, "POST", "musterstadt/reports", BODY)
    response = upload(client, created, b"%PDF-1.7 this is a document")
    assert response.status_code == 422
    assert (response.json()["field"], response.json()["code"]) == ("photo", "not_an_image")


def test_bad_reports_get_a_422_naming_the_field(api, tenant):
    status, data = call(api, "POST", "musterstadt/reports", {**BODY, "answers": {"size": "huge"}})
    assert (status, data["field"]) == (422, "attribute[size]")
    status, data = call(api, "POST", "musterstadt/reports", {**BODY, "description": "x" * 6000})
    assert status == 422
    assert not Case.objects.exists()


def test_reporting_is_rate_limited_per_address(api, tenant, monkeypatch):
    from django.core.cache import cache

    cache.clear()
    monkeypatch.setattr(service, "REPORTS_PER_HOUR", 2)
    assert [call(api, "POST", "musterstadt/reports", BODY)[0] for _ in range(3)] == [201, 201, 429]


def test_nearby_open_reports_are_offered_before_reporting(api, tenant):
    call(api, "POST", "musterstadt/reports", BODY)
    status, found = call(
        api,
        "GET",
        f"musterstadt/reports/nearby?category=schlagloch&lat={ALTSTADT[0] + 0.0001}&lon={ALTSTADT[1]}",
    )
    assert status == 200
    assert [f["number"] for f in found] == [1]
    assert found[0]["distance_m"] == 11
    assert found[0]["description"] == ""  # not moderated yet: nothing personal leaks


def test_a_report_is_public_only_after_moderation_and_never_shows_the_reporter(api, client, tenant):
    _, created = call(api, "POST", "musterstadt/reports", BODY)
    upload(client, created, jpeg())
    path = f"/api/v1/musterstadt/reports/{created['id']}"
    assert client.get(path).status_code == 404
    assert client.get(f"{path}/photos/0").status_code == 404
    case = Case.objects.get()
    service.moderate(case, "Schlagloch in der Fahrbahn", published=True, actor=None)
    status, data = call(api, "GET", path.removeprefix("/api/v1/"))
    assert (status, data["description"]) == (200, "Schlagloch in der Fahrbahn")
    assert "ada@example.org" not in str(data)
    photo = client.get(f"{path}/photos/0")
    assert (photo.status_code, photo["Content-Type"]) == (200, "image/jpeg")
    CasePhoto.objects.update(hidden=True)
    assert client.get(f"{path}/photos/0").status_code == 404


def test_another_town_cannot_see_or_touch_a_report(api, client, tenant):
    from stadtbote.tenants.models import Municipality

    Municipality.objects.create(slug="nachbarort", name="Nachbarort", center_lat=52, center_lon=9)
    _, created = call(api, "POST", "musterstadt/reports", BODY)
    service.moderate(Case.objects.get(), "x", published=True, actor=None)
    assert call(api, "GET", f"nachbarort/reports/{created['id']}")[0] == 404
    response = client.post(
        f"/api/v1/nachbarort/reports/{created['id']}/photos?token={created['upload_token']}",
        {"photo": SimpleUploadedFile("a.jpg", jpeg())},
    )
    assert response.status_code == 404
    assert call(api, "GET", "musterstadt/reports/not-a-uuid")[0] == 404


def test_the_town_publishes_its_numbers_as_json_and_csv(api, client, tenant):
    call(api, "POST", "musterstadt/reports", BODY)
    case = Case.objects.get()
    service.reply(case, "Danke, wir sehen es uns an.", None)
    status, rows = call(api, "GET", "musterstadt/reports/stats")
    assert status == 200
    pothole = next(r for r in rows if r["category"] == "schlagloch")
    assert (pothole["reports"], pothole["in_time"], pothole["share_in_time"]) == (1, 1, 1.0)
    response = client.get("/api/v1/musterstadt/reports/stats.csv")
    assert response["Content-Type"] == "text/csv"
    assert response.content.decode().startswith("month,category,reports,in_time")
