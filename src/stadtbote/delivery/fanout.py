"""Fan-out: resolve recipients block by block and hand each block to the senders at once.

Streaming is the point: the first block's deliveries are queued for sending while later blocks
are still being resolved, and memory stays flat in the number of recipients. Every block is one
transaction that inserts its delivery rows (idempotent), queues its send batches and advances
the job's cursor, so a fan-out killed half-way resumes at the next block without duplicates.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta

import numpy as np
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from stadtbote.core.severity import Severity
from stadtbote.core.tasks import enqueue_on_commit
from stadtbote.delivery import rules
from stadtbote.delivery.models import (
    BatchStatus,
    Delivery,
    DeliveryBatch,
    DeliveryJob,
    JobStatus,
    Kind,
    Status,
)
from stadtbote.geo import service as geo
from stadtbote.messages.models import Message, MessageStatus
from stadtbote.subscribers.models import Channel, ChannelStatus

log = logging.getLogger(__name__)

# A dead worker's fan-out is taken over after this long without progress.
JOB_LEASE = timedelta(minutes=2)
# Deliveries per send batch: big enough to amortise a connection, small enough to spread
# over workers and to bound the work lost to a crash.
BATCH_SIZE = 500


@task(queue_name="fanout", priority=5)
def fanout(job_id: int) -> str:
    """Resolve the recipients of one delivery job and queue their send batches."""
    job = _claim(job_id)
    if job is None:
        return "not claimed"
    message = job.message
    if job.kind == Kind.MESSAGE:
        resolved = _resolve_message_recipients(job, message)
    else:
        resolved = _resolve_withdrawal_recipients(job, message)
    DeliveryJob.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE, finished_at=timezone.now(), lease_until=None
    )
    log.info("fan-out of %s %s done: %d recipients", job.kind, message.pk, resolved)
    return "done"


def _claim(job_id: int) -> DeliveryJob | None:
    now = timezone.now()
    claimable = DeliveryJob.objects.filter(pk=job_id).filter(
        # queued, or resolving under a lease that ran out (its worker died)
        status__in=[JobStatus.QUEUED, JobStatus.RESOLVING]
    )
    updated = claimable.exclude(status=JobStatus.RESOLVING, lease_until__gt=now).update(
        status=JobStatus.RESOLVING, lease_until=now + JOB_LEASE
    )
    if not updated:
        return None
    return DeliveryJob.objects.select_related("message__tenant").get(pk=job_id)


def _resolve_message_recipients(job: DeliveryJob, message: Message) -> int:
    tenant = message.tenant
    topic_bits = sum(1 << b for b in message.topics.values_list("bit", flat=True))
    compiled = geo.compile_target(tenant, Severity(message.severity), topic_bits, message.area)
    total = job.targeted
    for block_no, arrays in geo.iter_blocks(tenant, start_after=job.cursor):
        if not _still_wanted(job):
            break
        ids = geo.match(arrays, compiled)
        with transaction.atomic():
            total += _create_deliveries(job, message, ids)
            DeliveryJob.objects.filter(pk=job.pk).update(
                cursor=block_no, targeted=total, lease_until=timezone.now() + JOB_LEASE
            )
    return total


def _resolve_withdrawal_recipients(job: DeliveryJob, message: Message) -> int:
    """Everyone a message reached is told it is withdrawn, on the channels it reached them."""
    sent = (
        Delivery.objects.filter(
            message=message, kind=Kind.MESSAGE, status=Status.SENT, subscriber__isnull=False
        )
        .order_by("subscriber_id")
        .values_list("subscriber_id", flat=True)
        .distinct()
    )
    total = job.targeted
    chunk: list[int] = []
    for sid in sent.iterator(chunk_size=2000):
        chunk.append(sid)
        if len(chunk) >= 1000:
            with transaction.atomic():
                total += _create_deliveries(job, message, np.array(chunk), only_reached=True)
            chunk = []
    if chunk:
        with transaction.atomic():
            total += _create_deliveries(job, message, np.array(chunk), only_reached=True)
    DeliveryJob.objects.filter(pk=job.pk).update(targeted=total)
    return total


def _still_wanted(job: DeliveryJob) -> bool:
    if job.kind == Kind.WITHDRAWAL:
        return True
    status = Message.objects.filter(pk=job.message_id).values_list("status", flat=True).first()
    return status == MessageStatus.PUBLISHED


def _create_deliveries(
    job: DeliveryJob, message: Message, subscriber_ids: np.ndarray, only_reached: bool = False
) -> int:
    """Insert one delivery per confirmed channel of these subscribers and queue the batches.

    Returns the number of distinct subscribers with at least one channel.
    """
    if len(subscriber_ids) == 0:
        return 0
    tenant = message.tenant
    severity = Severity(message.severity)
    now = timezone.now()
    channels = Channel.objects.filter(
        subscriber_id__in=[int(i) for i in subscriber_ids],
        status=ChannelStatus.CONFIRMED,
        type__in=message.channels,
        subscriber__paused=False,
    ).values_list(
        "id",
        "subscriber_id",
        "type",
        "address_key",
        "subscriber__language",
        "subscriber__quiet_start",
        "subscriber__quiet_end",
    )
    if only_reached:
        reached = set(
            Delivery.objects.filter(
                message=message,
                kind=Kind.MESSAGE,
                status=Status.SENT,
                subscriber_id__in=[int(i) for i in subscriber_ids],
            ).values_list("channel_id", flat=True)
        )
    by_type: dict[str, list[Delivery]] = defaultdict(list)
    subscribers: set[int] = set()
    for cid, sid, ctype, key, lang, q_start, q_end in channels:
        if only_reached and cid not in reached:
            continue
        hold = None
        if job.kind == Kind.MESSAGE:
            hold = rules.held_until(now, tenant.timezone, q_start, q_end, severity)
        subscribers.add(sid)
        by_type[ctype].append(
            Delivery(
                message=message,
                kind=job.kind,
                channel_type=ctype,
                address_key=key,
                subscriber_id=sid,
                channel_id=cid,
                language=lang,
                status=Status.HELD if hold else Status.PENDING,
                not_before=hold,
            )
        )
    for ctype, deliveries in by_type.items():
        for start in range(0, len(deliveries), BATCH_SIZE):
            batch = DeliveryBatch.objects.create(job=job, channel_type=ctype)
            part = deliveries[start : start + BATCH_SIZE]
            for d in part:
                d.batch = batch
            # The unique idempotency key drops rows that exist already (a resumed fan-out, or
            # two subscribers sharing one e-mail address): nobody gets a message twice.
            Delivery.objects.bulk_create(part, ignore_conflicts=True)
            if any(d.status == Status.PENDING for d in part):
                from stadtbote.delivery.sending import send_batch

                enqueue_on_commit(send_batch, batch.pk)
            else:
                DeliveryBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.DONE)
    return len(subscribers)


def start_job(message: Message, kind: str) -> DeliveryJob:
    """Create the fan-out job for a message (idempotent) and queue it after commit."""
    job, created = DeliveryJob.objects.get_or_create(message=message, kind=kind)
    if created:
        enqueue_on_commit(fanout, job.pk)
    return job


def resolve_all(job_ids: Iterable[int]) -> None:
    """Run fan-outs inline (management commands and tests without a worker)."""
    for job_id in job_ids:
        fanout.call(job_id)
