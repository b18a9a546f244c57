"""Settings: change everything, keep or replace the push device, pause, export and erase."""

from __future__ import annotations

import json
from datetime import time

import pytest
from django.test import Client

from stadtbote.delivery.models import Delivery, Status
from stadtbote.subscribers.models import Channel, ChannelStatus, Subscriber
from stadtbote.web.session import COOKIE
from tests.conftest import push_channel
from tests.support.tasks import drain
from tests.web.support import error_steps, sign_up, signup_form, text

pytestmark = pytest.mark.django_db


def with_push(push_service, name: str) -> str:
    return json.dumps(push_channel(push_service, name)["subscription"])


def test_settings_without_a_subscription_lead_to_the_onboarding(tenant):
    for path in ("settings", "settings/export"):
        response = Client().get(f"/musterstadt/{path}")
        assert response.status_code == 302
        assert response["Location"] == "/musterstadt/start"
    response = Client().post("/musterstadt/settings/pause", {"paused": "1"})
    assert response["Location"] == "/musterstadt/start"


def test_the_settings_show_what_the_citizen_chose(client, tenant):
    sign_up(
        client,
        district=["cappel"],
        point_lat="51.69",
        point_lon="8.42",
        point_radius="1000",
        point_label="Oma",
        topic=["kita", "kultur"],
        min_severity="minor",
        quiet_start="22:00",
        quiet_end="07:00",
        language="en",
        email="ada@example.org",
    )
    response = client.get("/musterstadt/settings")
    assert response.status_code == 200
    page = text(response)
    assert 'id="district-cappel" checked' in page
    assert 'id="district-altstadt" checked' not in page
    assert 'name="point_lat" inputmode="decimal" value="51.69"' in page
    assert 'name="point_lon" inputmode="decimal" value="8.42"' in page
    assert '<option value="1000" selected>' in page
    assert 'value="Oma"' in page
    assert 'id="topic-kita" checked' in page
    assert 'id="topic-kultur" checked' in page
    assert 'id="sev-minor" checked' in page
    assert 'name="quiet_start" value="22:00"' in page
    assert 'name="quiet_end" value="07:00"' in page
    assert '<option value="en" lang="en" selected>' in page
    assert 'value="ada@example.org"' in page
    assert 'name="keep_push" disabled' in page  # no push device registered


def test_saving_the_settings_changes_everything(client, tenant):
    sub = sign_up(client, email="ada@example.org", quiet_start="22:00", quiet_end="07:00")
    response = client.post(
        "/musterstadt/settings",
        signup_form(
            district=["lipperode"],
            point_lat="51.673",
            point_lon="8.345",
            point_radius="100",
            topic=["abfall"],
            min_severity="severe",
            quiet_start="23:30",
            quiet_end="06:00",
            language="en",
            email="grace@example.org",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == "/musterstadt/settings?saved=1"

    sub.refresh_from_db()
    assert sub.language == "en"
    assert sub.min_severity == 3
    assert (sub.quiet_start, sub.quiet_end) == (time(23, 30), time(6, 0))
    assert [t.slug for t in sub.topics.all()] == ["abfall"]
    assert {p.district.slug for p in sub.places.all() if p.district} == {"lipperode"}
    assert [(p.lat, p.lon, p.radius_m) for p in sub.places.all() if not p.district] == [
        (51.673, 8.345, 100)
    ]
    [email] = sub.channels.all()
    assert (email.address, email.status) == ("grace@example.org", ChannelStatus.PENDING)
    assert "Your changes are saved." in text(
        client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    )


def test_clearing_the_quiet_hours_and_the_e_mail_removes_them(client, tenant):
    sub = sign_up(client, email="ada@example.org", quiet_start="22:00", quiet_end="07:00")
    client.post("/musterstadt/settings", signup_form())
    sub.refresh_from_db()
    assert (sub.quiet_start, sub.quiet_end) == (None, None)
    assert not sub.channels.exists()


def test_a_settings_error_names_the_step_and_changes_nothing(client, tenant):
    sub = sign_up(client, topic=["kita"])
    response = client.post(
        "/musterstadt/settings",
        signup_form(district=[], topic=["abfall"]),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    assert error_steps(response) == ["places"]
    assert [t.slug for t in sub.topics.all()] == ["kita"]


def test_keep_push_keeps_the_registered_device(client, tenant, push_service):
    sub = sign_up(client, push_subscription=with_push(push_service, "phone"))
    [before] = Channel.objects.filter(subscriber=sub)
    assert 'name="keep_push" checked' in text(client.get("/musterstadt/settings"))

    client.post("/musterstadt/settings", signup_form(keep_push="on"))
    [after] = Channel.objects.filter(subscriber=sub)
    assert (after.pk, after.address, after.p256dh, after.auth) == (
        before.pk,
        before.address,
        before.p256dh,
        before.auth,
    )


def test_unchecking_keep_push_removes_the_device(client, tenant, push_service):
    sub = sign_up(client, push_subscription=with_push(push_service, "phone"))
    client.post("/musterstadt/settings", signup_form())
    assert not Channel.objects.filter(subscriber=sub).exists()


def test_a_new_browser_subscription_replaces_the_old_device(client, tenant, push_service):
    sub = sign_up(client, push_subscription=with_push(push_service, "old"), email="a@example.org")
    new = push_channel(push_service, "new")["subscription"]
    client.post(
        "/musterstadt/settings",
        signup_form(keep_push="on", push_subscription=json.dumps(new), email="a@example.org"),
    )
    channels = {c.type: c for c in Channel.objects.filter(subscriber=sub)}
    assert set(channels) == {"webpush", "email"}
    assert channels["webpush"].address == new["endpoint"]
    assert channels["webpush"].p256dh == new["keys"]["p256dh"]


def test_pause_and_resume_toggle_the_subscription(client, tenant):
    sub = sign_up(client)
    response = client.post("/musterstadt/settings/pause", {"paused": "1"})
    assert response["Location"] == "/musterstadt/settings?saved=1"
    sub.refresh_from_db()
    assert sub.paused
    page = text(client.get("/musterstadt/settings", HTTP_ACCEPT_LANGUAGE="en"))
    assert '<input type="hidden" name="paused" value="0">' in page
    assert "Resume messages" in page

    client.post("/musterstadt/settings/pause", {"paused": "0"})
    sub.refresh_from_db()
    assert not sub.paused


def test_pausing_needs_a_post(client, tenant):
    sign_up(client)
    assert client.get("/musterstadt/settings/pause").status_code == 405


@pytest.mark.django_db(transaction=True)
def test_a_paused_subscriber_is_not_sent_messages(api, tenant, staff_token, push_service):
    paused, active = Client(), Client()
    paused_sub = sign_up(paused, push_subscription=with_push(push_service, "paused"))
    active_sub = sign_up(active, push_subscription=with_push(push_service, "active"))
    paused.post("/musterstadt/settings/pause", {"paused": "1"})

    response = api.post(
        "musterstadt/messages",
        {"title": {"de": "Sturm"}, "severity": "extreme", "area": {"areas": ["altstadt"]}},
        token=staff_token,
    )
    assert response.status_code == 201
    drain()

    assert push_service.wait_for(1)
    assert [r.endpoint for r in push_service.received] == ["sub/active"]
    assert Delivery.objects.filter(subscriber=active_sub, status=Status.SENT).count() == 1
    assert not Delivery.objects.filter(subscriber=paused_sub).exists()


def test_delete_asks_first(client, tenant):
    sign_up(client)
    response = client.get("/musterstadt/settings/delete")
    assert response.status_code == 200
    assert '<form method="post" action="/musterstadt/settings/delete">' in text(response)
    assert Subscriber.objects.count() == 1


def test_delete_without_a_subscription_goes_home(tenant):
    response = Client().get("/musterstadt/settings/delete")
    assert response.status_code == 302
    assert response["Location"] == "/musterstadt/"


def test_delete_erases_the_subscriber_and_clears_the_cookie(client, tenant, push_service):
    sign_up(client, push_subscription=with_push(push_service, "phone"), email="a@example.org")
    response = client.post("/musterstadt/settings/delete")
    assert response.status_code == 200
    assert 'data-erased="1"' in text(response)
    assert not Subscriber.objects.exists()
    assert not Channel.objects.exists()
    cookie = response.cookies[COOKIE]
    assert cookie.value == ""
    assert cookie["max-age"] == 0
    assert cookie["path"] == "/musterstadt/"
    assert client.get("/musterstadt/start").status_code == 200  # a stranger again


@pytest.mark.django_db(transaction=True)
def test_the_export_is_a_private_json_download_with_deliveries_and_read_state(
    client, api, tenant, staff_token, push_service
):
    sign_up(
        client,
        topic=["kultur"],
        email="ada@example.org",
        push_subscription=with_push(push_service, "p"),
    )
    response = api.post(
        "musterstadt/messages",
        {"title": {"de": "Konzert"}, "topics": ["kultur"], "area": {"areas": ["altstadt"]}},
        token=staff_token,
    )
    message_id = response.json()["id"]
    drain()
    client.post("/musterstadt/inbox/read", {"id": message_id})

    response = client.get("/musterstadt/settings/export")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == (
        'attachment; filename="stadtbote-musterstadt-my-data.json"'
    )
    assert "no-store" in response["Cache-Control"]
    assert "no-cache" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["tenant"] == "musterstadt"
    assert data["places"] == [{"area": "altstadt", "label": ""}]
    assert data["topics"] == ["kultur"]
    assert {c["type"] for c in data["channels"]} == {"webpush", "email"}
    [delivery] = data["deliveries"]
    assert (delivery["message"], delivery["channel"], delivery["status"]) == (
        message_id,
        "webpush",
        "sent",
    )
    [read] = data["read"]
    assert read["message"] == message_id
