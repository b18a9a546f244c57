"""Subscribing in the browser: one form in five steps, errors named by step, a cookie after."""

from __future__ import annotations

import json
from datetime import time

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from stadtbote.subscribers.models import Channel, ChannelStatus, Subscriber
from stadtbote.web.session import COOKIE
from stadtbote.web.views import app
from tests.conftest import push_channel
from tests.web.support import error_steps, error_text, sign_up, signup_form, subscriber_of, text

pytestmark = pytest.mark.django_db


def test_the_onboarding_page_is_one_csrf_protected_form_with_all_five_steps(client, tenant):
    response = client.get("/musterstadt/start")
    assert response.status_code == 200
    page = text(response)
    assert '<form method="post" action="/musterstadt/start"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    for step in ("notify", "places", "topics", "warnings", "email"):
        assert f'data-step="{step}"' in page
    assert 'value="altstadt"' in page  # the districts
    assert 'value="strassensperrungen"' in page  # the topics
    assert response["Cache-Control"].startswith("max-age=0")


def test_posting_the_form_without_a_csrf_token_is_refused(tenant):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/musterstadt/start", signup_form())
    assert response.status_code == 403
    assert not Subscriber.objects.exists()


def test_a_citizen_who_fills_in_every_step_is_subscribed_and_sent_to_the_inbox(
    client, tenant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/musterstadt/start",
            signup_form(
                district=["altstadt", "cappel"],
                point_lat="51,69",
                point_lon="8,42",
                point_radius="500",
                point_label="Schule",
                topic=["kita", "abfall"],
                min_severity="minor",
                quiet_start="22:00",
                quiet_end="07:00",
                language="en",
                email="Ada@Example.org",
            ),
        )
    assert response.status_code == 302
    assert response["Location"] == "/musterstadt/inbox?welcome=1"

    sub = Subscriber.objects.get()
    assert sub.tenant == tenant
    assert sub.language == "en"
    assert sub.min_severity == 1
    assert (sub.quiet_start, sub.quiet_end) == (time(22, 0), time(7, 0))
    assert sorted(t.slug for t in sub.topics.all()) == ["abfall", "kita"]
    places = list(sub.places.order_by("id"))
    assert [p.district.slug for p in places if p.district] == ["altstadt", "cappel"]
    [point] = [p for p in places if p.district is None]
    assert (point.lat, point.lon, point.radius_m, point.label) == (51.69, 8.42, 500, "Schule")

    [email] = sub.channels.all()
    assert (email.type, email.address, email.status) == (
        "email",
        "Ada@example.org",  # the domain is case-insensitive, the local part is not
        ChannelStatus.PENDING,
    )
    [task] = DBTaskResult.objects.filter(task_path__endswith="send_confirmation")
    assert email.pk in task.args_kwargs["args"]


def test_the_subscription_cookie_is_http_only_and_scoped_to_the_town(client, tenant):
    response = client.post("/musterstadt/start", signup_form())
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] is True
    assert cookie["path"] == "/musterstadt/"
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) > 365 * 24 * 3600
    assert subscriber_of(client).tenant == tenant


def test_a_subscriber_without_e_mail_has_no_channel_and_no_mail_is_queued(
    client, tenant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sub = sign_up(client)
    assert not sub.channels.exists()
    assert not DBTaskResult.objects.exists()


def test_a_citizen_who_chooses_no_place_is_asked_for_one(client, tenant):
    response = client.post(
        "/musterstadt/start", signup_form(district=[]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 422
    assert error_steps(response) == ["places"]
    assert error_text(response) == "Choose at least one place."
    assert not Subscriber.objects.exists()
    assert COOKIE not in response.cookies


def test_a_point_far_outside_the_town_is_refused_at_the_places_step(client, tenant):
    response = client.post(
        "/musterstadt/start",
        signup_form(district=[], point_lat="52.52", point_lon="13.405"),  # Berlin
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    assert error_steps(response) == ["places"]
    assert "a point must lie in or near the town" in error_text(response)
    assert not Subscriber.objects.exists()


def test_an_unknown_topic_is_refused_at_the_topics_step(client, tenant):
    response = client.post(
        "/musterstadt/start", signup_form(topic=["kita", "gibts-nicht"]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 422
    assert error_steps(response) == ["topics"]
    assert "chosen topics no longer exists" in error_text(response)


def test_quiet_hours_with_only_a_start_are_refused_at_the_warnings_step(client, tenant):
    response = client.post(
        "/musterstadt/start", signup_form(quiet_start="22:00"), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 422
    assert error_steps(response) == ["warnings"]


def test_the_form_keeps_what_the_citizen_entered_after_an_error(client, tenant):
    response = client.post(
        "/musterstadt/start", signup_form(topic=["nope"], email="ada@example.org")
    )
    page = text(response)
    assert 'id="district-altstadt" checked' in page
    assert 'value="ada@example.org"' in page


def test_the_form_keeps_the_other_choices_when_the_place_is_missing(client, tenant):
    response = client.post(
        "/musterstadt/start",
        signup_form(district=[], topic=["kita"], min_severity="minor", email="ada@example.org"),
    )
    assert response.status_code == 422
    page = text(response)
    assert 'id="topic-kita" checked' in page
    assert 'id="sev-minor" checked' in page
    assert 'value="ada@example.org"' in page


def test_an_unusable_push_subscription_is_refused_at_the_notifications_step(client, tenant):
    response = client.post(
        "/musterstadt/start",
        signup_form(push_subscription='{"endpoint": "https://evil.example/push", "keys": {}}'),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    assert error_steps(response) == ["notify"]
    assert error_text(response) == (
        "This browser's push service is not supported. You can use e-mail instead."
    )


def test_an_invalid_e_mail_address_is_refused_at_the_e_mail_step(client, tenant):
    response = client.post("/musterstadt/start", signup_form(email="not-an-address"))
    assert response.status_code == 422
    assert error_steps(response) == ["email"]
    assert 'aria-invalid="true"' in text(response)


def test_a_second_visit_with_the_cookie_goes_to_the_settings(client, tenant):
    sign_up(client)
    response = client.get("/musterstadt/start")
    assert response.status_code == 302
    assert response["Location"] == "/musterstadt/settings"


def test_too_many_sign_ups_from_one_connection_are_refused(tenant, monkeypatch):
    monkeypatch.setattr(app, "SIGNUPS_PER_HOUR", 2)
    statuses = [Client().post("/musterstadt/start", signup_form()).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert Subscriber.objects.count() == 2


def test_an_invalid_form_does_not_count_against_the_sign_up_limit(tenant, monkeypatch):
    monkeypatch.setattr(app, "SIGNUPS_PER_HOUR", 1)
    assert Client().post("/musterstadt/start", signup_form(district=[])).status_code == 422
    assert Client().post("/musterstadt/start", signup_form()).status_code == 302


def test_an_unknown_town_has_no_onboarding(client, tenant):
    assert client.get("/nirgendwo/start").status_code == 404


def test_a_push_channel_from_the_browser_is_stored_confirmed(client, tenant, push_service):
    subscription = push_channel(push_service, "phone")["subscription"]
    sub = sign_up(client, push_subscription=json.dumps(subscription))
    [channel] = Channel.objects.filter(subscriber=sub)
    assert (channel.type, channel.status, channel.address) == (
        "webpush",
        ChannelStatus.CONFIRMED,
        subscription["endpoint"],
    )
