"""Every staff action lands in the town's audit log with before and after; admins read it and
export it; nobody else does."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from stadtbote.audit.models import AuditEntry
from tests.staff.conftest import report, signed_in


@pytest.fixture
def admin(tenant):
    return signed_in(tenant, "admin")


def test_a_status_change_is_logged_with_what_it_changed(caseworker, tenant):
    case = report(tenant)
    caseworker.post(f"/musterstadt/staff/cases/{case.number}/status", {"status": "in_progress"})
    entry = AuditEntry.objects.get(action="case.status")
    assert entry.actor_name == "sachbearbeitung@musterstadt.example"
    assert (entry.object_type, entry.object_id) == ("case", str(case.number))
    assert entry.before == {"status": "received"}
    assert entry.after == {"status": "in_progress"}
    assert entry.ip == "127.0.0.1"


def test_an_answer_and_a_publication_are_logged_with_the_text(caseworker, tenant):
    case = report(tenant)
    caseworker.post(f"/musterstadt/staff/cases/{case.number}/reply", {"text": "Kommt Montag."})
    caseworker.post(
        f"/musterstadt/staff/cases/{case.number}/moderate",
        {"public_description": "Loch", "published": "1"},
    )
    reply, publication = AuditEntry.objects.filter(action__startswith="case.").order_by("id")
    assert reply.after == {"text": "Kommt Montag."}
    assert publication.before == {"published": False, "public_description": ""}
    assert publication.after == {"published": True, "public_description": "Loch"}


def test_a_refused_action_leaves_no_entry(caseworker, tenant):
    case = report(tenant)
    caseworker.post(f"/musterstadt/staff/cases/{case.number}/merge", {"into": "99"})
    assert not AuditEntry.objects.filter(action="case.merge").exists()


def test_sign_ins_and_failures_are_logged(client, tenant):
    user = get_user_model().objects.get(username="sachbearbeitung@musterstadt.example")
    user.set_password("Fahrradweg-Ampel-2026")
    user.save()
    client.post("/musterstadt/staff/login", {"username": user.username, "password": "falsch"})
    client.post(
        "/musterstadt/staff/login",
        {"username": user.username, "password": "Fahrradweg-Ampel-2026"},
    )
    failed, ok = AuditEntry.objects.order_by("id")
    assert (failed.action, failed.after["username"], failed.actor) == (
        "staff.sign_in_failed",
        user.username,
        None,
    )
    assert (ok.action, ok.actor_name) == ("staff.sign_in", user.username)


def test_admins_read_filter_and_export_the_log(admin, caseworker, tenant):
    case = report(tenant)
    caseworker.post(f"/musterstadt/staff/cases/{case.number}/note", {"text": "intern"})
    page = admin.get("/musterstadt/staff/audit?action=case.note").content.decode()
    assert "case.note" in page
    assert "sachbearbeitung@musterstadt.example" in page
    assert '<th scope="row">staff.second_factor</th>' not in page  # filtered out
    export = admin.get("/musterstadt/staff/audit.csv?actor=sachbearbeitung")
    assert export["Content-Type"] == "text/csv"
    body = export.content.decode()
    assert "case.note" in body
    assert "admin@musterstadt.example" not in body


@pytest.mark.parametrize("role", ["caseworker", "viewer", "publisher"])
def test_only_admins_see_the_log(role, tenant):
    client = signed_in(tenant, role)
    assert client.get("/musterstadt/staff/audit").status_code == 403
    assert client.get("/musterstadt/staff/audit.csv").status_code == 403


def test_another_towns_staff_find_no_log_here(other_town_worker, tenant):
    assert other_town_worker.get("/musterstadt/staff/audit").status_code == 404
