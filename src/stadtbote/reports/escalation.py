"""Keeping the 24-hour promise: remind the department at 75 % of the time to the first answer,
tell its head when the time is up. Run periodically by the worker's upkeep (``JOBS``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from stadtbote.core.tasks import enqueue_on_commit
from stadtbote.reports import service, sla
from stadtbote.reports.models import Case, CaseEvent, EventKind
from stadtbote.reports.states import OPEN

BATCH = 2000


def sweep(now: datetime | None = None) -> int:
    """Send the reminders and escalations that are due; returns how many were started."""
    from stadtbote.reports.tasks import send_escalation

    now = now or timezone.now()
    started = 0
    waiting = (
        Case.objects.filter(
            status__in=[s.value for s in OPEN],
            first_response_at__isnull=True,
            # Nothing can be due before three quarters of the shortest target (1 h) have passed.
            created_at__lte=now - timedelta(minutes=45),
        )
        .filter(Q(reminded_at__isnull=True) | Q(escalated_at__isnull=True))
        .select_related("tenant", "category")
        .order_by("first_response_due")[:BATCH]
    )
    for case in waiting:
        first, _ = service.targets(case.category)
        due = sla.escalation(
            case.created_at, now, first, service.working_time(case.tenant), answered=False
        )
        for needed, column, kind in (
            (due.remind_department, "reminded_at", EventKind.REMINDED),
            (due.notify_head, "escalated_at", EventKind.ESCALATED),
        ):
            if not needed or getattr(case, column) is not None:
                continue
            with transaction.atomic():
                # Conditional update: two workers sweeping at once send one mail, not two.
                claimed = Case.objects.filter(pk=case.pk, **{f"{column}__isnull": True}).update(
                    **{column: now}
                )
                if not claimed:
                    continue
                CaseEvent.objects.create(case=case, at=now, kind=kind, actor_label="system")
                enqueue_on_commit(send_escalation, case.pk, str(kind))
                started += 1
    return started


JOBS = {"report_escalations": (timedelta(minutes=1), sweep)}
