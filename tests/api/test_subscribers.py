"""The subscribers API of SPEC.md: sign-up, validation naming the field, owner-only access."""

from __future__ import annotations

import pytest

from stadtbote.subscribers.models import Channel, Subscriber
from tests.conftest import ALTSTADT, point_place, push_channel

pytestmark = pytest.mark.django_db


def sign_up(api, body):
    return api.post("musterstadt/subscribers", body)


def test_a_citizen_subscribes_with_places_topics_and_a_push_channel(api, tenant, push_service):
    response = sign_up(
        api,
        {
            "language": "en",
            "places": [point_place(ALTSTADT, 300, "Home"), {"area": "cappel"}],
            "topics": ["strassensperrungen", "kita"],
            "min_severity": "severe",
            "quiet_hours": {"start": "22:00", "end": "07:00"},
            "channels": [push_channel(push_service, "phone")],
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "token", "channels"}
    assert body["channels"] == [{"type": "webpush", "status": "confirmed"}]

    me = api.get(f"musterstadt/subscribers/{body['id']}", token=body["token"]).json()
    assert me["language"] == "en"
    assert me["places"] == [
        {"lat": ALTSTADT[0], "lon": ALTSTADT[1], "radius_m": 300, "label": "Home"},
        {"area": "cappel", "label": ""},
    ]
    assert me["topics"] == ["strassensperrungen", "kita"]
    assert me["min_severity"] == "severe"
    assert me["quiet_hours"] == {"start": "22:00", "end": "07:00"}


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"topics": ["no-such-topic"]}, "topics[0]", "unknown_topic"),
        ({"places": [{"area": "atlantis"}]}, "places[0].area", "unknown_area"),
        ({"places": [point_place((48.137, 11.575))]}, "places[0]", "outside_municipality"),
        ({"places": [{"lat": 95, "lon": 8.3}]}, "places[0].lat", "invalid"),
        ({"places": [point_place(ALTSTADT, 50_000)]}, "places[0].radius_m", "invalid"),
        ({"min_severity": "apocalyptic"}, "min_severity", "invalid"),
        ({"quiet_hours": {"start": "25:00", "end": "07:00"}}, "quiet_hours.start", "invalid"),
        ({"language": "fr"}, "language", "invalid"),
        (
            {"channels": [{"type": "email", "address": "not-an-address"}]},
            "channels[0].address",
            "invalid",
        ),
        ({"channels": [{"type": "pigeon"}]}, "channels[0].type", "invalid"),
    ],
)
def test_bad_input_is_refused_with_a_4xx_naming_the_field(api, tenant, body, field, code):
    response = sign_up(api, {"places": [point_place(ALTSTADT)], **body})
    assert 400 <= response.status_code < 500
    error = response.json()
    assert error["code"] == code
    assert error["detail"].startswith(field), error
    assert Subscriber.objects.count() == 0


def webpush(endpoint, p256dh, auth):
    return {
        "type": "webpush",
        "subscription": {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}},
    }


def test_a_push_endpoint_off_the_allow_list_is_refused_as_ssrf(api, tenant, push_service):
    _, p256dh, auth = push_service.register("x")
    for endpoint in (
        "http://169.254.169.254/latest/meta-data",
        "https://intranet.rathaus.local/push",
        "https://fcm.googleapis.com@evil.example/x",
    ):
        response = sign_up(api, {"channels": [webpush(endpoint, p256dh, auth)]})
        assert response.status_code == 422, endpoint
        assert response.json()["code"] == "endpoint_not_allowed"
        assert response.json()["detail"].startswith("channels[0].subscription.endpoint")


def test_the_browsers_push_services_are_allowed_by_default(api, tenant, push_service):
    _, p256dh, auth = push_service.register("x")
    response = sign_up(
        api, {"channels": [webpush("https://fcm.googleapis.com/fcm/send/abc:def", p256dh, auth)]}
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("keys", "field"),
    [
        ({"p256dh": "AAAA", "auth": "x"}, "channels[0].subscription.keys.p256dh"),
        ({"p256dh": "B" + "A" * 86, "auth": "x"}, "channels[0].subscription.keys.p256dh"),
        (None, "channels[0].subscription.keys.auth"),
    ],
)
def test_malformed_push_keys_are_refused(api, tenant, push_service, keys, field):
    endpoint, p256dh, _ = push_service.register("x")
    keys = keys or {"p256dh": p256dh, "auth": "c2hvcnQ"}
    response = sign_up(
        api,
        {"channels": [{"type": "webpush", "subscription": {"endpoint": endpoint, "keys": keys}}]},
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith(field)


def test_a_push_subscription_presented_again_moves_to_the_new_subscriber(api, tenant, push_service):
    channel = push_channel(push_service, "shared")
    first = sign_up(api, {"channels": [channel]}).json()
    second = sign_up(api, {"channels": [channel]})
    assert second.status_code == 201
    assert Channel.objects.filter(type="webpush").count() == 1
    assert Channel.objects.get(type="webpush").subscriber.public_id.hex == second.json()[
        "id"
    ].replace("-", "")
    old = api.get(f"musterstadt/subscribers/{first['id']}", token=first["token"]).json()
    assert old["channels"] == []


def test_only_the_token_holder_can_read_change_or_erase_a_subscription(api, tenant, push_service):
    a = sign_up(api, {"channels": [push_channel(push_service, "a")]}).json()
    b = sign_up(api, {"channels": [push_channel(push_service, "b")]}).json()
    assert api.get(f"musterstadt/subscribers/{a['id']}").status_code == 401
    assert api.get(f"musterstadt/subscribers/{a['id']}", token="wrong").status_code == 401
    assert api.get(f"musterstadt/subscribers/{a['id']}", token=b["token"]).status_code == 404
    assert api.delete(f"musterstadt/subscribers/{a['id']}", token=b["token"]).status_code == 404
    assert api.get(f"musterstadt/subscribers/{a['id']}", token=a["token"]).status_code == 200


def test_patch_changes_only_what_is_given(api, tenant, push_service):
    created = sign_up(
        api,
        {
            "places": [point_place(ALTSTADT)],
            "topics": ["kita"],
            "channels": [push_channel(push_service, "p")],
        },
    ).json()
    path, token = f"musterstadt/subscribers/{created['id']}", created["token"]
    response = api.patch(
        path,
        {"topics": ["kultur", "rat"], "quiet_hours": {"start": "23:00", "end": "06:30"}},
        token=token,
    )
    assert response.status_code == 200
    me = response.json()
    assert me["topics"] == ["kultur", "rat"]
    assert me["quiet_hours"] == {"start": "23:00", "end": "06:30"}
    assert len(me["places"]) == 1
    assert me["channels"][0]["type"] == "webpush"
    bad = api.patch(path, {"places": [{"area": "nowhere"}]}, token=token)
    assert bad.status_code == 422
    assert api.get(path, token=token).json()["places"] == me["places"]


def test_delete_erases_all_personal_data(api, tenant, push_service):
    created = sign_up(
        api,
        {
            "places": [point_place(ALTSTADT)],
            "channels": [
                push_channel(push_service, "gone"),
                {"type": "email", "address": "a@example.org"},
            ],
        },
    ).json()
    response = api.delete(f"musterstadt/subscribers/{created['id']}", token=created["token"])
    assert response.status_code == 204
    assert Subscriber.objects.count() == 0
    assert Channel.objects.count() == 0
    assert (
        api.get(f"musterstadt/subscribers/{created['id']}", token=created["token"]).status_code
        == 401
    )


def test_export_contains_everything_stored(api, tenant, push_service):
    created = sign_up(
        api,
        {
            "places": [point_place(ALTSTADT, 100, "Home")],
            "topics": ["abfall"],
            "channels": [{"type": "email", "address": "Ada@Example.ORG"}],
        },
    ).json()
    response = api.get(f"musterstadt/subscribers/{created['id']}/export", token=created["token"])
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    data = response.json()
    assert data["places"][0]["label"] == "Home"
    assert data["topics"] == ["abfall"]
    assert data["channels"][0]["address"] == "Ada@example.org"
    assert data["channels"][0]["status"] == "pending"
    assert data["deliveries"] == []


def test_sign_ups_are_rate_limited_per_client(api, tenant, monkeypatch):
    from stadtbote.api import subscribers

    monkeypatch.setattr(subscribers, "SIGNUPS_PER_HOUR", 2)
    codes = [sign_up(api, {"places": [point_place(ALTSTADT)]}).status_code for _ in range(3)]
    assert codes == [201, 201, 429]


def test_changes_are_rate_limited_per_subscriber(api, tenant, monkeypatch):
    from stadtbote.api import subscribers

    monkeypatch.setattr(subscribers, "CHANGES_PER_HOUR", 1)
    created = sign_up(api, {"places": [point_place(ALTSTADT)]}).json()
    path = f"musterstadt/subscribers/{created['id']}"
    assert api.patch(path, {"paused": True}, token=created["token"]).status_code == 200
    response = api.patch(path, {"paused": False}, token=created["token"])
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
