"""The audit log keeps what it was told, never changes, and exports as CSV."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model

from stadtbote.audit import log
from stadtbote.audit.models import AppendOnly, AuditEntry


def test_an_entry_names_the_person_even_after_their_account_is_gone(tenant):
    user = get_user_model().objects.create_user("weg@example.org")
    entry = log.record(None, tenant, "case.status", actor=user, obj=("case", 7))
    user.delete()
    entry.refresh_from_db()
    assert (entry.actor, entry.actor_name, entry.object_id) == (None, "weg@example.org", "7")


def test_entries_cannot_be_changed_or_deleted(tenant):
    entry = log.record(None, tenant, "staff.sign_in")
    entry.action = "nothing happened"
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    assert AuditEntry.objects.get().action == "staff.sign_in"


def test_the_csv_has_one_row_per_entry_with_before_and_after_as_json(tenant):
    log.record(
        None, tenant, "case.status", before={"status": "received"}, after={"status": "resolved"}
    )
    rows = list(csv.reader(io.StringIO(log.to_csv(AuditEntry.objects.all()))))
    assert rows[0] == list(log.CSV_COLUMNS)
    assert rows[1][2:7] == [
        "case.status",
        "",
        "",
        '{"status": "received"}',
        '{"status": "resolved"}',
    ]
