"""Staff console tests: signed-in clients per role, cases in the demo town and in another."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from stadtbote.core.roles import SECOND_FACTOR_REQUIRED
from stadtbote.reports.models import Case, Category, Department
from stadtbote.tenants.models import Municipality, StaffMembership
from tests.support import cases

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_10 = datetime(2026, 11, 23, 10, tzinfo=BERLIN)


@pytest.fixture(autouse=True)
def empty_rate_limits(db: None) -> None:
    cache.clear()


def report(tenant: Municipality, when: datetime = MONDAY_10, **extra: object) -> Case:
    """A large pothole whose reporter left name, phone and e-mail (personal data to guard)."""
    body = {
        "address": "Lange Straße 12",
        "description": "Tiefes Loch, gemeldet von Ada Muster, Tel. 0151 000000",
        "answers": {"size": "large"},
        "name": "Ada Muster",
        "email": "ada@example.org",
        **extra,
    }
    return cases.report(tenant, when, **body)


def signed_in(tenant: Municipality, role: str, *, with_second_factor: bool = False) -> Client:
    """A signed-in client of the demo person with ``role``; past the second factor where the
    role needs one (or ``with_second_factor``: some actions need it whatever the role)."""
    user = get_user_model().objects.get(username=_demo_user(role))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    if role in SECOND_FACTOR_REQUIRED or with_second_factor:
        second_factor(client, tenant, user)
    return client


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def second_factor(client: Client, tenant: Municipality, user: object) -> TOTPDevice:
    """Give ``user`` an authenticator and pass this session's check, as a person would."""
    device = TOTPDevice.objects.create(user=user, name="Test", confirmed=True)
    response = client.post(f"/{tenant.slug}/staff/verify", {"code": current_code(device)})
    assert response.status_code == 302, response.content[:500]
    return device


def _demo_user(role: str) -> str:
    return {
        "admin": "admin@musterstadt.example",
        "publisher": "presse@musterstadt.example",
        "caseworker": "sachbearbeitung@musterstadt.example",
        "viewer": "lesend@musterstadt.example",
    }[role]


@pytest.fixture
def caseworker(tenant: Municipality) -> Client:
    return signed_in(tenant, "caseworker")


@pytest.fixture
def viewer(tenant: Municipality) -> Client:
    return signed_in(tenant, "viewer")


@pytest.fixture
def publisher(tenant: Municipality) -> Client:
    return signed_in(tenant, "publisher")


@pytest.fixture
def other_town(db: None) -> Municipality:
    town = Municipality.objects.create(
        slug="nachbarort", name="Nachbarort", center_lat=52.0, center_lon=9.0
    )
    department = Department.objects.create(tenant=town, slug="bauhof", name={"de": "Bauhof"})
    Category.objects.create(
        tenant=town, slug="schlagloch", name={"de": "Schlagloch"}, department=department
    )
    return town


@pytest.fixture
def other_town_worker(other_town: Municipality) -> Client:
    user = get_user_model().objects.create_user("bauhof@nachbarort.example")
    StaffMembership.objects.create(user=user, tenant=other_town, role="caseworker")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client
