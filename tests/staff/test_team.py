"""The town's admin manages people, keys and settings; nobody else can, and nobody can lock
themselves out."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from stadtbote.audit.models import AuditEntry
from stadtbote.tenants import guard, keys
from stadtbote.tenants.models import ApiKey, Operator, StaffMembership
from tests.staff.conftest import second_factor, signed_in


@pytest.fixture
def admin(tenant) -> Client:
    return signed_in(tenant, "admin")


def test_an_admin_adds_a_person_who_chooses_a_password_from_the_mail(admin, tenant, smtp, settings):
    response = admin.post(
        "/musterstadt/staff/team/add", {"email": "Neu@Musterstadt.example", "role": "caseworker"}
    )
    assert response.status_code == 302
    member = StaffMembership.objects.get(user__username="neu@musterstadt.example")
    assert member.role == "caseworker"
    assert not member.user.has_usable_password()
    [mail] = smtp.received
    link = next(w for w in mail.message.get_content().split() if "/staff/password/" in w)
    path = link.removeprefix(settings.PUBLIC_URL)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.get(path).status_code == 200
    client.post(
        path, {"new_password1": "Gehweg-Kante-2026!", "new_password2": "Gehweg-Kante-2026!"}
    )
    member.user.refresh_from_db()
    assert member.user.check_password("Gehweg-Kante-2026!")
    assert client.get(path).status_code == 404  # used once
    assert AuditEntry.objects.filter(action="staff.add").exists()


def test_roles_change_and_people_are_removed_but_never_ones_own(admin, tenant):
    worker = StaffMembership.objects.get(tenant=tenant, role="caseworker")
    admin.post(f"/musterstadt/staff/team/{worker.pk}/role", {"role": "viewer"})
    worker.refresh_from_db()
    assert worker.role == "viewer"
    own = StaffMembership.objects.get(tenant=tenant, user__username="admin@musterstadt.example")
    admin.post(f"/musterstadt/staff/team/{own.pk}/role", {"role": "viewer"})
    admin.post(f"/musterstadt/staff/team/{own.pk}/remove")
    own.refresh_from_db()
    assert own.role == "admin"
    admin.post(f"/musterstadt/staff/team/{worker.pk}/remove")
    assert not StaffMembership.objects.filter(pk=worker.pk).exists()


def test_a_lost_second_factor_is_reset_and_a_locked_account_unlocked(admin, tenant):
    from django.utils import timezone

    press = StaffMembership.objects.get(tenant=tenant, role="publisher")
    TOTPDevice.objects.create(user=press.user, name="alt", confirmed=True)
    for _ in range(guard.LOCK_AFTER):
        guard.failed(press.user, timezone.now())
    page = admin.get("/musterstadt/staff/team").content.decode()
    assert "(locked)" in page
    admin.post(f"/musterstadt/staff/team/{press.pk}/reset-factor")
    admin.post(f"/musterstadt/staff/team/{press.pk}/unlock")
    assert not TOTPDevice.objects.filter(user=press.user).exists()
    assert not guard.is_locked(press.user, timezone.now())


def test_a_key_is_shown_once_and_can_be_revoked(admin, tenant):
    admin.post("/musterstadt/staff/team/keys", {"name": "Meldeapp", "role": "app"})
    page = admin.get("/musterstadt/staff/team").content.decode()
    secret = re.search(r"<code>(sb_[^<]+)</code>", page).group(1)
    assert keys.authenticate(secret) is not None
    assert secret not in admin.get("/musterstadt/staff/team").content.decode()
    key = ApiKey.objects.get(name="Meldeapp")
    admin.post(f"/musterstadt/staff/team/keys/{key.pk}/revoke")
    assert keys.authenticate(secret) is None


def test_no_key_or_membership_can_carry_the_operator_role(admin, tenant):
    admin.post("/musterstadt/staff/team/keys", {"name": "x", "role": "operator"})
    admin.post("/musterstadt/staff/team/add", {"email": "x@example.org", "role": "operator"})
    assert not ApiKey.objects.filter(role="operator").exists()
    assert not StaffMembership.objects.filter(role="operator").exists()
    with pytest.raises(ValueError, match="unknown role"):
        keys.issue(tenant, "operator", "x")


def test_the_four_eyes_threshold_is_a_town_setting(admin, tenant):
    admin.post("/musterstadt/staff/team/settings", {"approval_from": "extreme"})
    tenant.refresh_from_db()
    assert tenant.approval_from == "extreme"
    assert AuditEntry.objects.get(action="settings.approval_from").before == {
        "approval_from": "severe"
    }


@pytest.mark.parametrize("role", ["publisher", "caseworker", "viewer"])
def test_only_admins_manage_the_team(role, tenant):
    client = signed_in(tenant, role)
    assert client.get("/musterstadt/staff/team").status_code == 403
    assert (
        client.post("/musterstadt/staff/team/add", {"email": "a@b.de", "role": "admin"}).status_code
        == 403
    )
    assert (
        client.post("/musterstadt/staff/team/keys", {"name": "x", "role": "admin"}).status_code
        == 403
    )
    assert not get_user_model().objects.filter(username="a@b.de").exists()


def test_another_towns_people_cannot_be_touched_from_here(admin, other_town, other_town_worker):
    theirs = StaffMembership.objects.get(tenant=other_town)
    assert admin.post(f"/musterstadt/staff/team/{theirs.pk}/remove").status_code == 404
    assert StaffMembership.objects.filter(pk=theirs.pk).exists()


def test_an_account_of_another_town_is_not_attached_without_the_operator(
    admin, other_town, other_town_worker
):
    response = admin.post(
        "/musterstadt/staff/team/add", {"email": "bauhof@nachbarort.example", "role": "admin"}
    )
    assert response.status_code == 302
    assert not StaffMembership.objects.filter(
        user__username="bauhof@nachbarort.example", tenant__slug="musterstadt"
    ).exists()
    page = admin.get("/musterstadt/staff/team").content.decode()
    assert "Ask the operator" in page


def test_an_operators_account_cannot_be_attached_by_a_town_admin(admin, tenant):
    user = get_user_model().objects.create_user("betrieb@kommunal-it.example")
    Operator.objects.create(user=user)
    admin.post("/musterstadt/staff/team/add", {"email": user.username, "role": "viewer"})
    assert not StaffMembership.objects.filter(user=user).exists()


def test_a_town_admin_cannot_reset_or_unlock_an_account_shared_with_another_town(
    admin, tenant, other_town
):
    from django.utils import timezone

    press = StaffMembership.objects.get(tenant=tenant, role="publisher")
    StaffMembership.objects.create(user=press.user, tenant=other_town, role="publisher")
    TOTPDevice.objects.create(user=press.user, name="alt", confirmed=True)
    for _ in range(guard.LOCK_AFTER):
        guard.failed(press.user, timezone.now())
    admin.post(f"/musterstadt/staff/team/{press.pk}/reset-factor")
    admin.post(f"/musterstadt/staff/team/{press.pk}/unlock")
    assert TOTPDevice.objects.filter(user=press.user).exists()
    assert guard.is_locked(press.user, timezone.now())
    assert "only the operator" in admin.get("/musterstadt/staff/team").content.decode()


def test_the_operator_may_add_an_account_that_works_in_another_town(
    tenant, other_town, other_town_worker
):
    user = get_user_model().objects.create_user("betrieb@kommunal-it.example")
    Operator.objects.create(user=user)
    operator = Client(HTTP_ACCEPT_LANGUAGE="en")
    operator.force_login(user)
    second_factor(operator, tenant, user)
    operator.post(
        "/musterstadt/staff/team/add", {"email": "bauhof@nachbarort.example", "role": "viewer"}
    )
    assert StaffMembership.objects.filter(
        user__username="bauhof@nachbarort.example", tenant=tenant, role="viewer"
    ).exists()
