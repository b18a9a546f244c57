"""Open311 service requests: creating with an api_key, searching with the spec's filters and
limits, one request, tokens and updates; XML and JSON; and a client library from PyPI."""

from __future__ import annotations

import json
from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest
from django.utils import timezone

from stadtbote.reports import service
from stadtbote.reports.models import Case
from stadtbote.tenants import keys
from stadtbote.tenants.models import Municipality
from tests.conftest import ALTSTADT

J = "jurisdiction_id=musterstadt"


@pytest.fixture
def app_key(tenant) -> str:
    return keys.issue(tenant, "app", "Mängelmelder-App")[1]


def post(client, fmt="json", **form):
    return client.post(f"/open311/v2/requests.{fmt}", {"jurisdiction_id": "musterstadt", **form})


def pothole(app_key: str, **extra) -> dict:
    return {
        "api_key": app_key,
        "service_code": "schlagloch",
        "lat": str(ALTSTADT[0]),
        "long": str(ALTSTADT[1]),
        "attribute[size]": "large",
        "description": "Tiefes Loch vor Hausnummer 12",
        "email": "ada@example.org",
        "first_name": "Ada",
        "last_name": "Lovelace",
        **extra,
    }


def published(number: int, text: str = "Schlagloch") -> Case:
    case = Case.objects.get(number=number)
    return service.moderate(case, text, published=True, actor=None)


def test_a_client_app_creates_a_request_with_attributes_and_gets_its_id(client, app_key):
    response = post(client, **pothole(app_key))
    assert response.status_code == 201
    [created] = json.loads(response.content)
    assert created["service_request_id"] == "1"
    assert "token" not in created
    case = Case.objects.get()
    assert (case.answers, case.reporter_name, case.created_by_key.name) == (
        {"size": "large"},
        "Ada Lovelace",
        "Mängelmelder-App",
    )


def test_multi_value_attributes_use_the_bracket_form(client, tenant, app_key):
    from stadtbote.reports.models import Category

    Category.objects.filter(slug="muell").update(
        questions=[
            {"code": "what", "datatype": "multivaluelist", "required": True,
             "values": [{"key": "sofa", "name": "Sofa"}, {"key": "tyres", "name": "Reifen"}]}
        ]
    )  # fmt: skip
    form = {**pothole(app_key), "service_code": "muell"}
    form.pop("attribute[size]")
    response = client.post(
        "/open311/v2/requests.json",
        f"jurisdiction_id=musterstadt&{_encode(form)}&attribute[what][]=sofa&attribute[what][]=tyres",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 201
    assert Case.objects.get().answers == {"what": ["sofa", "tyres"]}


def _encode(form: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(form)


@pytest.mark.parametrize(
    ("change", "status", "says"),
    [
        ({"api_key": ""}, 403, "api_key"),
        ({"api_key": "sb_nope_nope"}, 403, "api_key"),
        ({"service_code": ""}, 400, "service_code was not provided"),
        ({"service_code": "gibt-es-nicht"}, 404, "'gibt-es-nicht' was not found"),
        ({"lat": "", "long": ""}, 400, "give a map point"),
        ({"attribute[size]": "huge"}, 400, "attribute[size]"),
        ({"description": "x" * 4001}, 400, "description"),
        ({"media_url": "http://169.254.169.254/latest"}, 400, "media_url"),
    ],
)
def test_bad_requests_get_the_specs_errors(client, app_key, change, status, says):
    response = post(client, "xml", **{**pothole(app_key), **change})
    assert response.status_code == status
    root = ET.fromstring(response.content)
    assert root.tag == "errors"
    assert says in (root.findtext("error/description") or "")
    assert not Case.objects.exists()


def test_a_key_of_another_town_or_a_reading_role_cannot_create(client, tenant, app_key):
    other = Municipality.objects.create(slug="nachbarort", name="N", center_lat=52, center_lon=9)
    foreign = keys.issue(other, "app", "x")[1]
    viewer = keys.issue(tenant, "viewer", "x")[1]
    assert post(client, **pothole(foreign)).status_code == 403
    assert post(client, **pothole(viewer)).status_code == 403


def test_only_moderated_requests_are_listed_with_all_fields(client, app_key):
    post(client, **pothole(app_key))
    post(client, **pothole(app_key))
    published(2, "Schlagloch in der Fahrbahn")
    items = json.loads(client.get(f"/open311/v2/requests.json?{J}").content)
    assert [i["service_request_id"] for i in items] == ["2"]
    item = items[0]
    assert (item["status"], item["service_code"], item["agency_responsible"]) == (
        "open",
        "schlagloch",
        "Tiefbauamt",
    )
    assert item["description"] == "Schlagloch in der Fahrbahn"
    assert item["expected_datetime"] is not None
    assert "ada@example.org" not in json.dumps(item)
    assert set(item) == {
        "service_request_id", "status", "status_notes", "service_name", "service_code",
        "description", "agency_responsible", "service_notice", "requested_datetime",
        "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
        "long", "media_url",
    }  # fmt: skip


def test_filters_by_status_code_dates_and_ids(client, app_key):
    for _ in range(3):
        post(client, **pothole(app_key))
    for n in (1, 2, 3):
        published(n)
    service.change_status(Case.objects.get(number=1), "resolved", None, text="Repariert.")
    Case.objects.filter(number=3).update(created_at=timezone.now() - timedelta(days=100))

    def ids(query: str) -> list[str]:
        items = json.loads(client.get(f"/open311/v2/requests.json?{J}&{query}").content)
        return sorted(i["service_request_id"] for i in items)

    assert ids("") == ["1", "2"]  # the default: the last 90 days
    assert ids("status=open") == ["2"]
    assert ids("status=closed") == ["1"]
    assert ids("status=open,closed") == ["1", "2"]
    assert ids("service_code=muell") == []
    assert ids("service_request_id=3,1") == ["1", "3"]  # overrides the date range
    start = (timezone.now() - timedelta(days=120)).isoformat().replace("+00:00", "Z")
    end = (timezone.now() - timedelta(days=50)).isoformat().replace("+00:00", "Z")
    assert ids(f"start_date={start}&end_date={end}") == ["3"]
    closed = json.loads(client.get(f"/open311/v2/requests/1.json?{J}").content)[0]
    assert (closed["status"], closed["status_notes"], closed["expected_datetime"]) == (
        "closed",
        "Repariert.",
        None,
    )


@pytest.mark.parametrize(
    "query",
    [
        "start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z",
        "start_date=yesterday",
        "start_date=2026-01-01T00:00:00",
        "status=pending",
    ],
)
def test_bad_search_arguments_are_a_400(client, tenant, query):
    response = client.get(f"/open311/v2/requests.json?{J}&{query}")
    assert response.status_code == 400
    assert json.loads(response.content)[0]["code"] == 400


def test_one_request_tokens_and_updates(client, app_key):
    post(client, **pothole(app_key))
    case = published(1)
    service.reply(case, "Wir kommen am Donnerstag.", None)
    assert client.get(f"/open311/v2/requests/1.xml?{J}").status_code == 200
    assert client.get(f"/open311/v2/requests/99.xml?{J}").status_code == 404
    [tok] = json.loads(client.get(f"/open311/v2/tokens/{case.public_id}.json?{J}").content)
    assert tok == {"service_request_id": "1", "token": str(case.public_id)}
    assert client.get(f"/open311/v2/tokens/nope.json?{J}").status_code == 404
    root = ET.fromstring(client.get(f"/open311/v2/servicerequestupdates.xml?{J}").content)
    assert root.tag == "service_request_updates"
    assert root.findtext("request_update/description") == "Wir kommen am Donnerstag."
    assert root.findtext("request_update/service_request_id") == "1"


def test_another_town_sees_none_of_these_requests(client, app_key):
    Municipality.objects.create(slug="nachbarort", name="N", center_lat=52, center_lon=9)
    post(client, **pothole(app_key))
    published(1)
    assert (
        json.loads(client.get("/open311/v2/requests.json?jurisdiction_id=nachbarort").content) == []
    )
    assert client.get("/open311/v2/requests/1.json?jurisdiction_id=nachbarort").status_code == 404


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_georeport_client_library_reads_services_and_requests(live_server, tenant, fmt):
    from georeport import GeoReport

    case = service.create_case(
        tenant,
        {"category": "schlagloch", "address": "Lange Straße 12", "answers": {"size": "small"}},
    )
    service.moderate(case, "Schlagloch", published=True, actor=None)
    client = GeoReport(
        f"{live_server.url}/open311/v2", jurisdiction="musterstadt", output_format=fmt
    )
    codes = [s["service_code"] for s in client.get_service_list()]
    assert "schlagloch" in codes
    definition = client.get_service_definition("schlagloch")
    assert definition["service_code"] == "schlagloch"
    found = client.get_service_requests(status="open")
    one = found if isinstance(found, dict) else found[0]  # xmltodict gives a dict for one item
    assert one["service_request_id"] == "1"
    assert client.get_service_request("1")["address"] == "Lange Straße 12"


def test_a_runaway_client_is_stopped_per_key(client, app_key, monkeypatch):
    from django.core.cache import cache

    from stadtbote.open311 import requests as open311_requests

    cache.clear()
    monkeypatch.setattr(open311_requests, "REQUESTS_PER_KEY_AND_HOUR", 2)
    statuses = [post(client, **pothole(app_key)).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
