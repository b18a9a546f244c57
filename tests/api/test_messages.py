"""The messages API: staff create/publish with roles and tenant isolation; public cacheable reads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from stadtbote.messages.models import Message
from stadtbote.tenants import keys
from stadtbote.tenants.models import Municipality
from tests.support.tasks import drain

pytestmark = pytest.mark.django_db

NEWS = {
    "title": {"de": "Stadtfest", "en": "Town festival"},
    "body": {"de": "Am Samstag", "en": "On Saturday"},
    "severity": "info",
    "topics": ["kultur"],
}
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[8.33, 51.66], [8.36, 51.66], [8.36, 51.68], [8.33, 51.68], [8.33, 51.66]]],
}


def create(api, token, **changes):
    return api.post("musterstadt/messages", {**NEWS, **changes}, token=token)


@pytest.mark.parametrize(
    "area",
    [
        None,
        SQUARE,
        {"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"]]},
        {"areas": ["altstadt", "cappel"]},
        {"circle": {"lat": 51.67, "lon": 8.34, "radius_m": 500}},
    ],
)
def test_staff_publish_a_message_to_any_kind_of_area(api, tenant, staff_token, area):
    response = create(api, staff_token, area=area)
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "published"
    public = api.get(f"musterstadt/messages/{response.json()['id']}").json()
    assert public["title"] == NEWS["title"]
    assert public["area"] == area


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": {}}, "title"),
        ({"title": {"fr": "Fête"}}, "title.fr"),
        ({"severity": "catastrophic"}, "severity"),
        ({"topics": ["nope"]}, "topics[0]"),
        ({"channels": ["fax"]}, "channels[0]"),
        ({"area": {"type": "Point", "coordinates": [8.3, 51.6]}}, "area.type"),
        (
            {
                "area": {
                    "type": "Polygon",
                    "coordinates": [[[8.33, 51.66], [8.36, 51.66], [8.33, 51.66]]],
                }
            },
            "area.coordinates[0]",
        ),
        (
            {
                "area": {
                    "type": "Polygon",
                    "coordinates": [
                        [[8.33, 51.66], [8.36, 51.68], [8.36, 51.66], [8.33, 51.68], [8.33, 51.66]]
                    ],
                }
            },
            "area: polygon is not valid",
        ),
        (
            {
                "area": {
                    "type": "Polygon",
                    "coordinates": [[[11.5, 48.1], [11.6, 48.1], [11.6, 48.2], [11.5, 48.1]]],
                }
            },
            "area",
        ),
        ({"area": {"areas": ["atlantis"]}}, "area.areas[0]"),
        ({"area": {"circle": {"lat": 51.67, "lon": 8.34, "radius_m": 0}}}, "area.circle.radius_m"),
        ({"expires_at": "2020-01-01T00:00:00+01:00"}, "expires_at"),
        ({"send_at": "2030-01-01T10:00:00"}, "send_at"),
    ],
)
def test_a_bad_message_is_refused_naming_the_field(api, tenant, staff_token, changes, field):
    response = create(api, staff_token, **changes)
    assert 400 <= response.status_code < 500
    assert response.json()["detail"].startswith(field), response.json()
    assert set(response.json()) >= {"detail", "code"}
    assert not Message.objects.exists()


def test_a_message_needs_a_valid_key_of_a_role_that_may_publish(api, tenant):
    assert create(api, None).status_code == 401
    assert create(api, "sb_nonsense_key").status_code == 401
    _, viewer = keys.issue(tenant, "viewer", "viewer")
    response = create(api, viewer)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_a_revoked_key_is_refused(api, tenant):
    key, secret = keys.issue(tenant, "publisher", "old")
    key.revoked_at = timezone.now()
    key.save()
    assert create(api, secret).status_code == 401


def test_a_key_of_another_municipality_cannot_touch_this_one(api, tenant, staff_token):
    other = Municipality.objects.create(
        slug="nachbarort", name="Nachbarort", center_lat=51.7, center_lon=8.5
    )
    _, foreign = keys.issue(other, "admin", "foreign")
    assert create(api, foreign).status_code == 404
    mine = create(api, staff_token).json()["id"]
    assert api.get(f"musterstadt/messages/{mine}/deliveries", token=foreign).status_code == 404
    assert api.post(f"musterstadt/messages/{mine}/cancel", token=foreign).status_code == 404
    assert api.get(f"nachbarort/messages/{mine}").status_code == 404


def test_keys_are_stored_only_as_digests(tenant):
    key, secret = keys.issue(tenant, "publisher", "x")
    assert secret not in key.key_hash
    assert keys.authenticate(secret) == key
    assert keys.authenticate(secret + "x") is None


def test_the_public_list_shows_current_messages_newest_first_and_hides_expired_ones(
    api, tenant, staff_token
):
    first = create(api, staff_token).json()["id"]
    second = create(api, staff_token, title={"de": "Zweite"}, body={"de": "Text"}).json()["id"]
    Message.objects.filter(pk=first).update(published_at=timezone.now() - timedelta(minutes=5))
    expired = create(api, staff_token, title={"de": "Alt"}, body={}).json()["id"]
    Message.objects.filter(pk=expired).update(expires_at=timezone.now() - timedelta(seconds=1))
    ids = [m["id"] for m in api.get("musterstadt/messages").json()]
    assert ids == [second, first]


def test_public_reads_are_cacheable_and_revalidate_with_etag(api, tenant, staff_token):
    message_id = create(api, staff_token).json()["id"]
    for path in ("musterstadt/messages", f"musterstadt/messages/{message_id}", "musterstadt/areas"):
        first = api.get(path)
        assert first.status_code == 200
        assert "public" in first["Cache-Control"]
        assert "max-age=" in first["Cache-Control"]
        etag = first["ETag"]
        again = api.get(path, **{"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""


def test_a_change_to_a_message_changes_its_etag(api, tenant, staff_token):
    message_id = create(api, staff_token).json()["id"]
    etag = api.get(f"musterstadt/messages/{message_id}")["ETag"]
    api.post(f"musterstadt/messages/{message_id}/cancel", token=staff_token)
    response = api.get(f"musterstadt/messages/{message_id}", **{"If-None-Match": etag})
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


@pytest.mark.django_db(transaction=True)
def test_a_message_with_send_at_in_the_future_is_scheduled_and_published_then(
    api, tenant, staff_token
):
    send_at = (timezone.now() + timedelta(hours=1)).isoformat()
    created = create(api, staff_token, send_at=send_at).json()
    assert created["status"] == "scheduled"
    drain()
    assert Message.objects.get(pk=created["id"]).status == "scheduled"
    assert api.get("musterstadt/messages").json() == []
    Message.objects.filter(pk=created["id"]).update(send_at=timezone.now())
    drain(fast_forward=True)
    assert Message.objects.get(pk=created["id"]).status == "published"


@pytest.mark.django_db(transaction=True)
def test_a_held_message_waits_for_an_admin_to_approve_it(api, tenant, staff_token):
    created = create(api, staff_token, hold=True).json()
    assert created["status"] == "draft"
    assert api.get(f"musterstadt/messages/{created['id']}").status_code == 404
    assert (
        api.post(f"musterstadt/messages/{created['id']}/approve", token=staff_token).status_code
        == 403
    )
    _, admin = keys.issue(tenant, "admin", "admin")
    response = api.post(f"musterstadt/messages/{created['id']}/approve", token=admin)
    assert response.json()["status"] == "published"
    drain()
    assert api.post(f"musterstadt/messages/{created['id']}/approve", token=admin).status_code == 409


def test_the_tenant_endpoint_shows_the_vapid_public_key_but_never_the_private_one(api, tenant):
    info = api.get("musterstadt").json()
    assert info["vapid_public_key"] == tenant.vapid_public_key
    assert "PRIVATE" not in str(info)
    assert info["languages"] == ["de", "en"]


def test_topics_and_areas_are_public(api, tenant):
    topics = api.get("musterstadt/topics").json()
    assert len(topics) >= 6
    assert set(topics[0]) == {"slug", "name", "description"}
    areas = api.get("musterstadt/areas").json()
    assert areas["type"] == "FeatureCollection"
    assert len(areas["features"]) >= 4
    assert {"slug", "name"} <= set(areas["features"][0]["properties"])


def test_unknown_tenants_and_messages_are_404_json(api, tenant):
    for path in (
        "atlantis",
        "atlantis/topics",
        "musterstadt/messages/not-a-uuid",
        "musterstadt/messages/00000000-0000-0000-0000-000000000000",
    ):
        response = api.get(path)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_the_openapi_document_describes_the_api(api):
    doc = api.get("openapi.json").json()
    assert "/api/v1/{tenant}/subscribers" in doc["paths"]
    assert "/api/v1/{tenant}/messages" in doc["paths"]


def test_the_api_docs_load_nothing_from_third_parties(client):
    page = client.get("/api/v1/docs").content.decode()
    assert "swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
