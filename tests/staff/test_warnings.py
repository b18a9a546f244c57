"""Official warnings in the console: everyone who reads messages sees what arrived and what
became of it; only admins change the relay rule, and only their own town's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stadtbote.audit.models import AuditEntry
from stadtbote.cap.models import Outcome, ReceivedAlert, SourceKind, WarningSource
from tests.staff.conftest import signed_in


@pytest.fixture
def dwd(tenant) -> WarningSource:
    return WarningSource.objects.create(
        tenant=tenant, kind=SourceKind.DWD, name="Deutscher Wetterdienst",
        url="https://opendata.dwd.de/weather/alerts/cap/x.zip",
        failures=2, last_error="HTTP 503",
    )  # fmt: skip


@pytest.fixture
def received(tenant, dwd) -> ReceivedAlert:
    return ReceivedAlert.objects.create(
        tenant=tenant, source=dwd, key="k1", identifier="2.49.0.1.276.0.DWD.PVW.1.DEU",
        sender="CAP@dwd.de", sent=datetime(2026, 11, 27, 6, tzinfo=UTC),
        sent_text="2026-11-27T07:00:00+01:00", msg_type="Alert", status="Actual",
        severity="Minor", event="FROST", headline="Amtliche WARNUNG vor FROST",
        outcome=Outcome.IGNORED, reason="minor is below moderate",
    )  # fmt: skip


@pytest.mark.parametrize("role", ["admin", "publisher", "viewer"])
def test_admins_publishers_and_viewers_see_what_arrived_and_why(role, tenant, received):
    page = signed_in(tenant, role).get("/musterstadt/staff/warnings/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Amtliche WARNUNG vor FROST" in text
    assert "below the threshold" in text
    assert "2 failures in a row" in text


def test_case_workers_have_no_warnings_page(tenant, received):
    assert signed_in(tenant, "caseworker").get("/musterstadt/staff/warnings/").status_code == 403


def test_an_admin_changes_the_relay_rule_and_it_is_audited(tenant, dwd):
    admin = signed_in(tenant, "admin")
    response = admin.post(
        f"/musterstadt/staff/warnings/sources/{dwd.pk}",
        {"enabled": "1", "auto_from": "severe", "ignore_below": "moderate"},
    )
    assert response.status_code == 302
    dwd.refresh_from_db()
    assert (dwd.enabled, dwd.auto_from, dwd.ignore_below) == (True, "severe", "moderate")
    entry = AuditEntry.objects.get(action="warning_source.rule")
    assert entry.after["auto_from"] == "severe"


def test_a_rule_whose_floor_lies_above_its_automatic_level_is_refused(tenant, dwd):
    admin = signed_in(tenant, "admin")
    admin.post(
        f"/musterstadt/staff/warnings/sources/{dwd.pk}",
        {"enabled": "1", "auto_from": "minor", "ignore_below": "severe"},
    )
    dwd.refresh_from_db()
    assert (dwd.auto_from, dwd.ignore_below) == ("moderate", "minor")


def test_publishers_cannot_change_the_relay_rule(tenant, dwd):
    publisher = signed_in(tenant, "publisher")
    response = publisher.post(
        f"/musterstadt/staff/warnings/sources/{dwd.pk}", {"auto_from": "", "ignore_below": ""}
    )
    assert response.status_code == 403


def test_another_towns_source_cannot_be_changed(tenant, other_town):
    theirs = WarningSource.objects.create(tenant=other_town, kind=SourceKind.PUSH, name="API")
    admin = signed_in(tenant, "admin")
    response = admin.post(
        f"/musterstadt/staff/warnings/sources/{theirs.pk}",
        {"auto_from": "", "ignore_below": ""},
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.auto_from == "moderate"
