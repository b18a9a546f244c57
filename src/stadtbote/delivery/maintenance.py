"""Periodic upkeep: release held deliveries, take over work of dead workers, purge stale data.

Any number of workers may call ``run_due()``; a conditional UPDATE on ``PeriodicRun`` elects
exactly one of them per job and interval, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from stadtbote.delivery.fanout import fanout
from stadtbote.delivery.models import (
    BatchStatus,
    Delivery,
    DeliveryBatch,
    DeliveryJob,
    JobStatus,
    PeriodicRun,
    Status,
)
from stadtbote.delivery.sending import queue_batch, send_batch
from stadtbote.delivery.sms_receipts import collect_sms_receipts

log = logging.getLogger(__name__)


def release_held(now: datetime | None = None) -> int:
    """Quiet hours are over for these deliveries: make them pending and queue their batches."""
    now = now or timezone.now()
    with transaction.atomic():
        due = Delivery.objects.filter(status=Status.HELD, not_before__lte=now)
        batch_ids = {b for b in due.values_list("batch_id", flat=True).distinct() if b}
        count = due.update(status=Status.PENDING, not_before=None)
        # Back into the queue (a running batch picks its new rows up, or finishes and then
        # comes back for them through this task).
        DeliveryBatch.objects.filter(pk__in=batch_ids, status=BatchStatus.DONE).update(
            status=BatchStatus.QUEUED
        )
        for batch_id, priority in DeliveryBatch.objects.filter(pk__in=batch_ids).values_list(
            "id", "priority"
        ):
            queue_batch(batch_id, priority)
    return count


def take_over_stale(now: datetime | None = None) -> int:
    """Re-queue batches and fan-outs whose worker died (lease ran out)."""
    now = now or timezone.now()
    stale_batches = list(
        DeliveryBatch.objects.filter(status=BatchStatus.RUNNING, lease_until__lt=now).values_list(
            "id", "priority"
        )
    )
    stale_jobs = list(
        DeliveryJob.objects.filter(
            Q(status=JobStatus.RESOLVING, lease_until__lt=now)
            # queued but never picked up (e.g. the task row was lost with a dead database)
            | Q(status=JobStatus.QUEUED, created_at__lt=now - timedelta(minutes=5))
        ).values_list("id", flat=True)
    )
    for batch_id, priority in stale_batches:
        log.warning("taking over batch %s from a dead worker", batch_id)
        send_batch.using(priority=priority).enqueue(batch_id)
    for job_id in stale_jobs:
        log.warning("taking over fan-out job %s from a dead worker", job_id)
        fanout.enqueue(job_id)
    return len(stale_batches) + len(stale_jobs)


def purge_unconfirmed(now: datetime | None = None) -> int:
    from stadtbote.subscribers.doi import purge_unconfirmed as purge

    return purge(now)


JOBS: dict[str, tuple[timedelta, Callable[[], int]]] = {
    "release_held": (timedelta(seconds=20), release_held),
    "take_over_stale": (timedelta(seconds=30), take_over_stale),
    "purge_unconfirmed": (timedelta(hours=1), purge_unconfirmed),
    "collect_sms_receipts": (timedelta(seconds=30), collect_sms_receipts),
}


def elect(name: str, interval: timedelta, now: datetime) -> bool:
    """True for exactly one caller per ``interval`` across all processes."""
    updated = PeriodicRun.objects.filter(name=name, last_run__lte=now - interval).update(
        last_run=now
    )
    if updated:
        return True
    try:
        with transaction.atomic():
            PeriodicRun.objects.create(name=name, last_run=now)
        return True
    except IntegrityError:
        return False


def run_due(
    now: datetime | None = None,
    jobs: dict[str, tuple[timedelta, Callable[[], int]]] | None = None,
) -> dict[str, int]:
    """Run the jobs (default: this module's) whose interval has passed; ``ops`` adds others."""
    now = now or timezone.now()
    done = {}
    for name, (interval, job) in (JOBS if jobs is None else jobs).items():
        if elect(name, interval, now):
            try:
                done[name] = job()
            except Exception:
                log.exception("periodic job %s failed", name)
    return done
