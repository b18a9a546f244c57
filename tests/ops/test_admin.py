"""Django's admin shows every town, so only operators get in, and only with their code."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from stadtbote.ops.admin_site import TRIES_PER_ADDRESS
from stadtbote.tenants import guard
from stadtbote.tenants.models import Operator
from tests.ops.conftest import run
from tests.staff.conftest import current_code

PASSWORD = "Leitstelle-Nord-2026"


@pytest.fixture(autouse=True)
def empty_rate_limits(db: None) -> None:
    cache.clear()


@pytest.fixture
def operator(db):
    run("operator", "add", "Betrieb@Kommunal-IT.example")
    user = get_user_model().objects.get(username="betrieb@kommunal-it.example")
    user.set_password(PASSWORD)
    user.save()
    return user


def admin_sign_in(client: Client, username: str, password: str = PASSWORD, code: str = ""):
    device = TOTPDevice.objects.filter(user__username=username).first()
    return client.post(
        "/admin/login/?next=/admin/",
        {
            "username": username,
            "password": password,
            "otp_device": device.persistent_id if device else "",
            "otp_token": code,
        },
    )


def test_an_operator_gets_in_only_with_the_code_from_the_authenticator(operator):
    device = TOTPDevice.objects.create(user=operator, name="Handy", confirmed=True)
    client = Client()
    assert admin_sign_in(client, operator.username).status_code == 200
    assert client.get("/admin/").status_code == 302
    response = admin_sign_in(client, operator.username, code=current_code(device))
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_town_admin_never_gets_into_the_admin(tenant):
    user = get_user_model().objects.get(username="admin@musterstadt.example")
    assert not user.is_staff
    assert not user.is_superuser
    user.set_password(PASSWORD)
    user.save()
    device = TOTPDevice.objects.create(user=user, name="Handy", confirmed=True)
    client = Client()
    admin_sign_in(client, user.username, code=current_code(device))
    assert client.get("/admin/").status_code == 302


def test_a_staff_account_that_is_not_an_operator_is_refused_even_when_verified(db):
    user = get_user_model().objects.create_superuser("alt@example.org", password=PASSWORD)
    device = TOTPDevice.objects.create(user=user, name="Handy", confirmed=True)
    client = Client()
    admin_sign_in(client, user.username, code=current_code(device))
    assert client.get("/admin/").status_code == 302


def test_wrong_admin_sign_ins_lock_the_account(operator):
    client = Client()
    for _ in range(guard.LOCK_AFTER):
        admin_sign_in(client, operator.username, password="falsch")
    assert guard.is_locked(operator, timezone.now())


def test_many_wrong_admin_sign_ins_from_one_address_are_stopped(operator):
    client = Client()
    for i in range(TRIES_PER_ADDRESS):
        admin_sign_in(client, f"x{i}@example.org", password="x")
    assert admin_sign_in(client, operator.username).status_code == 429


def test_the_operator_command_adds_lists_and_removes_operators(operator):
    assert operator.is_staff
    assert Operator.objects.filter(user=operator).exists()
    assert "betrieb@kommunal-it.example" in run("operator", "list")
    run("operator", "remove", "betrieb@kommunal-it.example")
    operator.refresh_from_db()
    assert not operator.is_staff
    assert not Operator.objects.filter(user=operator).exists()
