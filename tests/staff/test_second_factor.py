"""A second factor for those who can reach citizens or manage access; operators across towns;
idle sessions end."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from stadtbote.staff import middleware
from stadtbote.tenants import guard
from stadtbote.tenants.models import Municipality, Operator
from tests.staff.conftest import current_code, second_factor


def signed_in_with_password(username: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(get_user_model().objects.get(username=username))
    return client


@pytest.fixture
def publisher_without_factor(tenant) -> Client:
    return signed_in_with_password("presse@musterstadt.example")


def test_a_publisher_must_set_up_an_authenticator_before_anything_else(
    publisher_without_factor,
):
    response = publisher_without_factor.get("/musterstadt/staff/numbers")
    assert response["Location"] == "/musterstadt/staff/setup?next=%2Fmusterstadt%2Fstaff%2Fnumbers"
    page = publisher_without_factor.get(response["Location"]).content.decode()
    assert "<svg" in page
    assert "Cannot scan? Enter this key" in page


def test_the_authenticator_is_switched_on_only_with_a_right_code(publisher_without_factor):
    publisher_without_factor.get("/musterstadt/staff/setup")
    device = TOTPDevice.objects.get(user__username="presse@musterstadt.example")
    wrong = publisher_without_factor.post("/musterstadt/staff/setup", {"code": "000000"})
    assert wrong.status_code == 400
    assert "This code is not right." in wrong.content.decode()
    too_soon = publisher_without_factor.post("/musterstadt/staff/setup", {"code": "000000"})
    assert too_soon.status_code == 429  # each wrong code doubles the wait (django-otp)
    # A person takes longer than the wait to read the next code.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)
    right = publisher_without_factor.post(
        "/musterstadt/staff/setup",
        {"code": current_code(device), "next": "/musterstadt/staff/numbers"},
    )
    assert right["Location"] == "/musterstadt/staff/numbers"
    device.refresh_from_db()
    assert device.confirmed
    assert publisher_without_factor.get("/musterstadt/staff/numbers").status_code == 200


def test_an_admin_signing_in_again_is_asked_for_the_code(tenant):
    user = get_user_model().objects.get(username="admin@musterstadt.example")
    first = signed_in_with_password(user.username)
    device = second_factor(first, tenant, user)
    again = signed_in_with_password(user.username)
    assert again.get("/musterstadt/staff/cases/")["Location"].startswith(
        "/musterstadt/staff/verify?"
    )
    device.refresh_from_db()
    assert again.post("/musterstadt/staff/verify", {"code": "000000"}).status_code == 400
    assert again.get("/musterstadt/staff/cases/").status_code == 302


def test_a_code_that_was_used_once_is_not_taken_again(tenant):
    user = get_user_model().objects.get(username="admin@musterstadt.example")
    device = second_factor(signed_in_with_password(user.username), tenant, user)
    used = current_code(device)
    other = signed_in_with_password(user.username)
    assert other.post("/musterstadt/staff/verify", {"code": used}).status_code == 400


def test_wrong_codes_lock_the_account_and_end_the_session(tenant):
    user = get_user_model().objects.get(username="admin@musterstadt.example")
    second_factor(signed_in_with_password(user.username), tenant, user)
    client = signed_in_with_password(user.username)
    for _ in range(guard.LOCK_AFTER):
        client.post("/musterstadt/staff/verify", {"code": "123456"})
    assert "_auth_user_id" not in client.session
    assert guard.is_locked(user, timezone.now())


def test_a_case_worker_without_an_authenticator_needs_none_to_handle_cases(tenant):
    client = signed_in_with_password("sachbearbeitung@musterstadt.example")
    assert client.get("/musterstadt/staff/cases/").status_code == 200
    assert client.get("/musterstadt/staff/setup").status_code == 200  # but may set one up


def test_a_case_worker_sets_up_a_second_factor_before_changing_what_citizens_read(tenant):
    client = signed_in_with_password("sachbearbeitung@musterstadt.example")
    assert client.get("/musterstadt/staff/knowledge/").status_code == 200  # reading is fine
    response = client.get("/musterstadt/staff/knowledge/new")
    assert response["Location"].startswith("/musterstadt/staff/setup?next=")
    response = client.post("/musterstadt/staff/knowledge/new", {"title": "x", "body": "y"})
    assert response["Location"].startswith("/musterstadt/staff/setup?next=")


def test_a_case_worker_who_set_one_up_must_use_it(tenant):
    user = get_user_model().objects.get(username="sachbearbeitung@musterstadt.example")
    TOTPDevice.objects.create(user=user, name="Handy", confirmed=True)
    client = signed_in_with_password(user.username)
    assert client.get("/musterstadt/staff/cases/")["Location"].startswith(
        "/musterstadt/staff/verify?"
    )


def test_an_operator_acts_as_admin_in_every_town_after_the_second_factor(tenant):
    other = Municipality.objects.create(slug="anders", name="Anders", center_lat=50, center_lon=8)
    user = get_user_model().objects.create_user("betrieb@kommunal-it.example")
    Operator.objects.create(user=user)
    client = signed_in_with_password(user.username)
    assert client.get("/anders/staff/numbers")["Location"].startswith("/anders/staff/setup?")
    second_factor(client, other, user)
    assert client.get("/anders/staff/numbers").status_code == 200
    assert client.get("/musterstadt/staff/cases/").status_code == 200
    assert client.get("/nirgendwo/staff/cases/").status_code == 404


def test_a_session_left_idle_for_half_an_hour_ends(tenant, monkeypatch):
    client = signed_in_with_password("sachbearbeitung@musterstadt.example")
    assert client.get("/musterstadt/staff/cases/").status_code == 200
    start = time.time()
    monkeypatch.setattr(middleware.time, "time", lambda: start + middleware.IDLE_SECONDS - 60)
    # The queue's automatic refresh does not count as activity.
    poll = client.get("/musterstadt/staff/cases/", HTTP_X_STADTBOTE_POLL="1")
    assert poll.status_code == 200
    monkeypatch.setattr(middleware.time, "time", lambda: start + middleware.IDLE_SECONDS + 1)
    response = client.get("/musterstadt/staff/cases/")
    assert response["Location"].endswith("&expired=1")
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "signed out after 30 minutes without activity" in page


def test_signing_in_again_with_the_password_buys_no_fresh_guesses_at_the_code(tenant):
    user = get_user_model().objects.get(username="admin@musterstadt.example")
    user.set_password("Rathaus-Glocke-2026")
    user.save()
    second_factor(signed_in_with_password(user.username), tenant, user)
    for _ in range(guard.LOCK_AFTER - 1):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.post(
            "/musterstadt/staff/login",
            {"username": user.username, "password": "Rathaus-Glocke-2026"},
        )
        client.post("/musterstadt/staff/verify", {"code": "000000"})
    assert not guard.is_locked(user, timezone.now())
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.post(
        "/musterstadt/staff/login", {"username": user.username, "password": "Rathaus-Glocke-2026"}
    )
    client.post("/musterstadt/staff/verify", {"code": "000000"})
    assert guard.is_locked(user, timezone.now())


def test_an_idle_sign_out_is_in_the_audit_log(tenant, monkeypatch):
    from stadtbote.audit.models import AuditEntry

    client = signed_in_with_password("sachbearbeitung@musterstadt.example")
    client.get("/musterstadt/staff/cases/")
    start = time.time()
    monkeypatch.setattr(middleware.time, "time", lambda: start + middleware.IDLE_SECONDS + 1)
    client.get("/musterstadt/staff/cases/")
    entry = AuditEntry.objects.get(action="staff.signed_out_idle")
    assert (entry.tenant, entry.actor_name) == (tenant, "sachbearbeitung@musterstadt.example")
