"""`stadtbote migrate` also creates the database cache table the rate limiter needs."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection

from stadtbote.core.apps import _create_cache_table

# Every test runs in a transaction that is rolled back, so the dropped table comes back.
pytestmark = pytest.mark.django_db

TABLE = "stadtbote_cache"


def cache_table_exists() -> bool:
    return TABLE in connection.introspection.table_names()


def drop_cache_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {connection.ops.quote_name(TABLE)}")
    assert not cache_table_exists()


def test_the_rate_limiter_uses_the_database_cache_table():
    assert settings.CACHES["default"]["LOCATION"] == TABLE
    assert settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache")


def test_the_handler_creates_the_cache_table_after_the_tenants_app_migrated():
    drop_cache_table()
    _create_cache_table(apps.get_app_config("tenants"), using="default")
    assert cache_table_exists()


def test_the_handler_leaves_the_table_alone_when_it_exists():
    _create_cache_table(apps.get_app_config("tenants"), using="default")
    assert cache_table_exists()


@pytest.mark.parametrize("label", ["core", "geo", "auth", "contenttypes"])
def test_other_apps_migrating_do_not_create_it(label):
    drop_cache_table()
    _create_cache_table(apps.get_app_config(label), using="default")
    assert not cache_table_exists()


def test_the_end_of_migrate_creates_the_cache_table():
    drop_cache_table()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert cache_table_exists()
