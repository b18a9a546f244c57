"""Writing to the audit log. Call it in the same transaction as the change, so an action and
its record stand or fall together."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest

from stadtbote.audit.models import AuditEntry
from stadtbote.tenants.models import Municipality


def record(
    request: HttpRequest | None,
    tenant: Municipality | None,
    action: str,
    *,
    actor: Any = None,
    obj: tuple[str, Any] | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """One entry: ``action`` like "case.status"; ``obj`` = (type, id); ``before``/``after``
    only the fields that matter (never secrets or passwords)."""
    user = actor if actor is not None else getattr(request, "user", None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    return AuditEntry.objects.create(
        tenant=tenant,
        actor=user,
        actor_name=user.get_username() if user is not None else "",
        action=action,
        object_type=obj[0] if obj else "",
        object_id=str(obj[1]) if obj else "",
        before=before or {},
        after=after or {},
        ip=(request.META.get("REMOTE_ADDR") or None) if request is not None else None,
    )


CSV_COLUMNS = ("at", "actor", "action", "object_type", "object_id", "before", "after", "ip")


def to_csv(entries: Iterable[AuditEntry]) -> str:
    import json

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        writer.writerow(
            [
                e.at.isoformat(),
                e.actor_name,
                e.action,
                e.object_type,
                e.object_id,
                json.dumps(e.before, ensure_ascii=False, sort_keys=True),
                json.dumps(e.after, ensure_ascii=False, sort_keys=True),
                e.ip or "",
            ]
        )
    return out.getvalue()
