"""The `stadtbote` console script: demo (idempotent), apikey, and the process supervisor."""

from __future__ import annotations

import sys

import pytest

from stadtbote.geo.models import District, PlaceBlock
from stadtbote.ops.supervise import run_together
from stadtbote.subscribers.models import Channel, Subscriber
from stadtbote.tenants import keys
from stadtbote.tenants.models import Municipality, StaffMembership, Topic
from tests.ops.conftest import run

pytestmark = pytest.mark.django_db


def test_demo_loads_the_demo_municipality_and_running_it_again_changes_nothing():
    run("demo")
    counts = (
        Municipality.objects.count(),
        District.objects.count(),
        Topic.objects.count(),
        StaffMembership.objects.count(),
    )
    key = Municipality.objects.get().vapid_private_key
    run("demo")
    assert (
        Municipality.objects.count(),
        District.objects.count(),
        Topic.objects.count(),
        StaffMembership.objects.count(),
    ) == counts
    tenant = Municipality.objects.get(slug="musterstadt")
    assert tenant.vapid_private_key == key
    assert counts[1] >= 4
    assert counts[2] >= 6
    assert set(StaffMembership.objects.values_list("role", flat=True)) == {
        "admin",
        "publisher",
        "caseworker",
        "viewer",
    }


def test_a_new_municipality_gets_its_own_vapid_key_pair():
    a = Municipality.objects.create(slug="a", name="A", center_lat=51, center_lon=8)
    b = Municipality.objects.create(slug="b", name="B", center_lat=51, center_lon=8)
    assert a.vapid_public_key != b.vapid_public_key
    assert a.vapid_private_key.startswith("-----BEGIN PRIVATE KEY-----")


def test_demo_adds_synthetic_subscribers_with_push_subscriptions_once():
    run("demo", "--subscribers", "50", "--push-endpoint", "http://127.0.0.1:9999", "--seed", "3")
    run("demo", "--subscribers", "50", "--push-endpoint", "http://127.0.0.1:9999", "--seed", "3")
    assert Subscriber.objects.count() == 50
    endpoints = set(Channel.objects.values_list("address", flat=True))
    assert endpoints == {f"http://127.0.0.1:9999/{n}" for n in range(50)}
    assert sum(PlaceBlock.objects.values_list("count", flat=True)) == 50


def test_apikey_create_prints_the_key_alone_on_its_last_line():
    run("demo")
    out = run(
        "apikey",
        "create",
        "--tenant",
        "musterstadt",
        "--role",
        "publisher",
        "--name",
        "Pressestelle",
    )
    secret = out.strip().splitlines()[-1]
    key = keys.authenticate(secret)
    assert key is not None
    assert (key.role, key.name, key.tenant.slug) == ("publisher", "Pressestelle", "musterstadt")


def test_apikey_create_refuses_an_unknown_tenant():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no municipality"):
        run("apikey", "create", "--tenant", "atlantis", "--role", "admin", "--name", "x")


def test_the_supervisor_stops_everything_when_one_process_exits():
    sleeper = [sys.executable, "-c", "import time; time.sleep(30)"]
    quitter = [sys.executable, "-c", "raise SystemExit(3)"]
    assert run_together([sleeper, quitter]) == 3


def test_the_admin_never_shows_a_vapid_private_key(operator_client):
    run("demo")
    tenant = Municipality.objects.get()
    page = operator_client.get(f"/admin/tenants/municipality/{tenant.pk}/change/").content.decode()
    assert tenant.vapid_public_key in page
    assert "PRIVATE KEY" not in page
