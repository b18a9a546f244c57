"""Fan-out: resolve recipients block by block and hand each block to the senders at once.

Streaming is the point: the first block's deliveries are queued for sending while later blocks
are still being resolved, and memory stays flat in the number of recipients. Every block is one
transaction that inserts its delivery rows (idempotent), queues its send batches and advances
the job's cursor, so a fan-out killed half-way resumes at the next block without duplicates.

A worker resolves in slices: the first slice is one block, later ones about ``SLICE_SECONDS``;
then the task queues its own continuation behind the send batches queued so far. So even a
single worker starts sending after the first block, not after the whole town.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from stadtbote.core.severity import Severity
from stadtbote.core.tasks import enqueue_on_commit
from stadtbote.delivery import fallback, rules
from stadtbote.delivery.bulk import insert_rows
from stadtbote.delivery.models import (
    BatchStatus,
    Delivery,
    DeliveryBatch,
    DeliveryJob,
    JobStatus,
    Kind,
    Status,
)
from stadtbote.delivery.scheduling import batch_priority
from stadtbote.geo import service as geo
from stadtbote.geo.blocks import PlaceArrays
from stadtbote.messages.models import Message, MessageStatus
from stadtbote.subscribers.models import Channel, ChannelStatus
from stadtbote.tenants.models import Municipality

log = logging.getLogger(__name__)

# A dead worker's fan-out is taken over after this long without progress.
JOB_LEASE = timedelta(minutes=2)
# Deliveries per send batch: big enough to amortise a connection, small enough to spread
# over workers and to bound the work lost to a crash.
BATCH_SIZE = 500


# A fan-out's first slice runs this much ahead of the sends of its own severity.
FANOUT_AHEAD = 5
# How long a worker resolves blocks before it lets the send batches queued so far go first.
SLICE_SECONDS = 1.0
# Place blocks read per query on SQLite (unpacked, about 40 kB per 1,024 subscribers).
READ_AHEAD = 16


@task(queue_name="fanout", priority=5)
def fanout(job_id: int, slice_seconds: float | None = None, lease: str | None = None) -> str:
    """Resolve the recipients of one delivery job and queue their send batches.

    With ``slice_seconds`` (as queued by ``start_job``) the task stops after the first block
    that ends at least that long after it started and queues its continuation; ``lease`` is
    how the continuation proves it is one (it holds the lease the previous slice left). Without
    it (inline runs, take-overs) the task resolves everything.
    """
    job = _claim(job_id, lease)
    if job is None:
        return "not claimed"
    message = job.message
    deadline = None if slice_seconds is None else time.monotonic() + slice_seconds
    if job.kind == Kind.MESSAGE:
        resolved, finished = _resolve_message_recipients(job, message, deadline)
        if not finished:
            return f"continues after {resolved} recipients"
        if message.replaces_id and _still_wanted(job):
            resolved = _resolve_update_recipients(job, message)
    else:
        resolved = _resolve_withdrawal_recipients(job, message)
    # A job cancelled while resolving (the message was withdrawn) stays cancelled.
    DeliveryJob.objects.filter(pk=job.pk, status=JobStatus.RESOLVING).update(
        status=JobStatus.DONE, finished_at=timezone.now(), lease_until=None
    )
    log.info("fan-out of %s %s done: %d recipients", job.kind, message.pk, resolved)
    return "done"


def _claim(job_id: int, lease: str | None = None) -> DeliveryJob | None:
    now = timezone.now()
    jobs = DeliveryJob.objects.filter(pk=job_id)
    if lease is not None:
        # A continuation: the job still holds the lease its previous slice left. A take-over
        # (after that lease ran out) changes the lease, and then the continuation stands down.
        claimable = jobs.filter(
            status=JobStatus.RESOLVING, lease_until=datetime.fromisoformat(lease)
        )
    else:
        # queued, or resolving under a lease that ran out (its worker died)
        claimable = jobs.filter(status__in=[JobStatus.QUEUED, JobStatus.RESOLVING]).exclude(
            status=JobStatus.RESOLVING, lease_until__gt=now
        )
    updated = claimable.update(status=JobStatus.RESOLVING, lease_until=now + JOB_LEASE)
    if not updated:
        return None
    return DeliveryJob.objects.select_related("message__tenant").get(pk=job_id)


def _resolve_message_recipients(
    job: DeliveryJob, message: Message, deadline: float | None = None
) -> tuple[int, bool]:
    """Resolve blocks from the job's cursor on; returns (targeted so far, finished)."""
    tenant = message.tenant
    topic_bits = sum(1 << b for b in message.topics.values_list("bit", flat=True))
    compiled = geo.compile_target(tenant, Severity(message.severity), topic_bits, message.area)
    total = job.targeted
    for block_no, arrays in stream_blocks(tenant, job.cursor):
        if not _still_wanted(job):
            break
        plan = _plan_deliveries(job, message, geo.match(arrays, compiled))
        with transaction.atomic():
            _create_deliveries(job, message, plan)
            total += plan.subscribers
            lease_until = timezone.now() + JOB_LEASE
            DeliveryJob.objects.filter(pk=job.pk).update(
                cursor=block_no, targeted=total, lease_until=lease_until
            )
            if deadline is not None and time.monotonic() >= deadline:
                _continue_later(job, lease_until)
                return total, False
    return total, True


def stream_blocks(tenant: Municipality, start_after: int) -> Iterator[tuple[int, PlaceArrays]]:
    """The tenant's place blocks in order, streamed.

    On SQLite they are read ``READ_AHEAD`` at a time, so that no query stays open while the
    caller writes: an unfinished SELECT holds a read snapshot, and the connection's next
    ``BEGIN IMMEDIATE`` then fails at once with "database is locked" as soon as another worker
    has committed meanwhile. PostgreSQL has no such limit (and re-opening its held cursor would
    copy the rest of the table each time), so there the stream is read through once.
    """
    if connection.vendor != "sqlite":
        yield from geo.iter_blocks(tenant, start_after=start_after)
        return
    while True:
        stream = geo.iter_blocks(tenant, start_after=start_after)
        try:
            group = list(itertools.islice(stream, READ_AHEAD))
        finally:
            close = getattr(stream, "close", None)  # a generator: ends its query now
            if close is not None:
                close()
        if not group:
            return
        yield from group
        start_after = group[-1][0]


def _continue_later(job: DeliveryJob, lease_until: datetime) -> None:
    """Queue the rest of the fan-out behind the send batches queued so far (same priority,
    first come first served), so they start before the next slice."""
    continuation = fanout.using(priority=batch_priority(job.message.severity))
    enqueue_on_commit(continuation, job.pk, SLICE_SECONDS, lease_until.isoformat())


def _resolve_withdrawal_recipients(job: DeliveryJob, message: Message) -> int:
    """Everyone a message reached is told it is withdrawn, on the channels it reached them."""
    return _reach_again(job, message, message)


def _resolve_update_recipients(job: DeliveryJob, message: Message) -> int:
    """An update (CAP msgType Update) also goes to everyone the message it replaces reached,
    on the same channels, even if the new area no longer covers them: they must learn what
    changed. Rows that already exist (they are in the new area too) are not made twice."""
    original = Message.objects.filter(pk=str(message.replaces_id)).first()
    if original is None:
        return _targeted(job)
    return _reach_again(job, message, original, skip_planned=True)


def _reach_again(
    job: DeliveryJob, message: Message, reached: Message, skip_planned: bool = False
) -> int:
    rows = Delivery.objects.filter(
        message=reached, kind=Kind.MESSAGE, status=Status.SENT, subscriber__isnull=False
    )
    if skip_planned:
        # Channels the update's own area planned already are left out; the others of the same
        # person are not (the number a warning's SMS fallback used, when the update goes by
        # push): whoever got the message hears of its update where they got it.
        rows = rows.exclude(
            channel_id__in=Delivery.objects.filter(message=message, kind=job.kind).values(
                "channel_id"
            )
        )
    sent = rows.order_by("subscriber_id").values_list("subscriber_id", flat=True).distinct()
    added = 0
    chunk: list[int] = []
    for sid in sent.iterator(chunk_size=2000):
        chunk.append(sid)
        if len(chunk) >= 1000:
            added += _plan_and_create(job, message, chunk, reached, skip_planned)
            chunk = []
    if chunk:
        added += _plan_and_create(job, message, chunk, reached, skip_planned)
    # An increment, not the sum from ``job``: that copy was read when the job was claimed, and
    # the blocks resolved since (by this slice or an earlier one) have raised the count.
    DeliveryJob.objects.filter(pk=job.pk).update(targeted=F("targeted") + added)
    return _targeted(job)


def _targeted(job: DeliveryJob) -> int:
    return DeliveryJob.objects.filter(pk=job.pk).values_list("targeted", flat=True).get()


def _plan_and_create(
    job: DeliveryJob,
    message: Message,
    subscriber_ids: list[int],
    reached: Message,
    counted_before: bool = False,
) -> int:
    """Plan and insert; returns how many subscribers are new to the job (``counted_before``:
    some may have been counted by the update's own area already)."""
    plan = _plan_deliveries(job, message, np.array(subscriber_ids), reached_by=reached)
    counted: set[int] = set()
    if counted_before:
        counted = set(
            Delivery.objects.filter(
                message=message, kind=job.kind, subscriber_id__in=subscriber_ids
            ).values_list("subscriber_id", flat=True)
        )
    with transaction.atomic():
        _create_deliveries(job, message, plan)
    if not counted:
        return plan.subscribers
    sid_at = _DELIVERY_FIELDS.index("subscriber")
    planned = {row[sid_at] for rows in plan.by_type.values() for row in rows}
    return len(planned - counted)


def _still_wanted(job: DeliveryJob) -> bool:
    if job.kind == Kind.WITHDRAWAL:
        return True
    status = Message.objects.filter(pk=job.message_id).values_list("status", flat=True).first()
    return status == MessageStatus.PUBLISHED


# Columns of a new delivery row, in the order ``_plan_deliveries`` builds them (batch_id last).
_DELIVERY_FIELDS = (
    "message",
    "kind",
    "channel_type",
    "address_key",
    "subscriber",
    "channel",
    "language",
    "status",
    "not_before",
    "attempts",
    "reason",
    "created_at",
    "batch",
)


@dataclass
class _Plan:
    """The delivery rows of one block, by channel type, before they are written."""

    by_type: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    subscribers: int = 0  # distinct subscribers with at least one channel


def _plan_deliveries(
    job: DeliveryJob,
    message: Message,
    subscriber_ids: np.ndarray,
    reached_by: Message | None = None,
) -> _Plan:
    """One delivery row per confirmed channel of these subscribers (reads only).

    Runs outside the write transaction: on SQLite a writer holds the database lock for its
    whole transaction, and meanwhile other workers must be able to claim the batches queued so
    far.
    """
    plan = _Plan()
    if len(subscriber_ids) == 0:
        return plan
    ids = subscriber_ids.tolist()
    tenant = message.tenant
    severity = Severity(message.severity)
    now = timezone.now()
    only_reached = reached_by is not None
    sms_fallback = fallback.sms_at_once(message)
    types = list(message.channels)
    if (sms_fallback or only_reached) and "sms" not in types:
        # A warning reaches people without push by SMS; an update or all-clear goes wherever
        # the message went, the fallback SMS included.
        types.append("sms")
    channels = Channel.objects.filter(
        subscriber_id__in=ids,
        status=ChannelStatus.CONFIRMED,
        type__in=types,
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
    reached: set[int] = set()
    if reached_by is not None:
        reached = set(
            Delivery.objects.filter(
                message=reached_by,
                kind=Kind.MESSAGE,
                status=Status.SENT,
                subscriber_id__in=ids,
            ).values_list("channel_id", flat=True)
        )
    subscribers: set[int] = set()
    rows = list(channels)
    if sms_fallback and not only_reached:
        rows = fallback.without_sms_where_push(rows, type_at=2, subscriber_at=1)
    for cid, sid, ctype, key, lang, q_start, q_end in rows:
        if only_reached and cid not in reached:
            continue
        hold = None
        if job.kind == Kind.MESSAGE:
            hold = rules.held_until(now, tenant.timezone, q_start, q_end, severity)
        subscribers.add(sid)
        plan.by_type.setdefault(ctype, []).append(
            (
                message.pk,
                str(job.kind),
                ctype,
                key,
                sid,
                cid,
                lang,
                str(Status.HELD if hold else Status.PENDING),
                hold,
                0,
                "",
                now,
            )
        )
    plan.subscribers = len(subscribers)
    return plan


def _create_deliveries(job: DeliveryJob, message: Message, plan: _Plan) -> None:
    """Insert the planned delivery rows in send batches and queue the batches after commit.

    Must run inside the caller's transaction (with the job's cursor update).
    """
    from stadtbote.delivery.sending import queue_batch

    status_at = _DELIVERY_FIELDS.index("status")
    priority = batch_priority(message.severity)
    for ctype, rows in plan.by_type.items():
        for start in range(0, len(rows), BATCH_SIZE):
            batch = DeliveryBatch.objects.create(
                job=job, channel_type=ctype, tenant_id=message.tenant_id, priority=priority
            )
            part = [(*row, batch.pk) for row in rows[start : start + BATCH_SIZE]]
            # The unique idempotency key drops rows that exist already (a resumed fan-out, or
            # two subscribers sharing one e-mail address): nobody gets a message twice.
            insert_rows(Delivery, _DELIVERY_FIELDS, part, ignore_conflicts=True)
            if any(row[status_at] == Status.PENDING.value for row in part):
                queue_batch(batch.pk, priority)
            else:
                DeliveryBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.DONE)


def start_job(message: Message, kind: str) -> DeliveryJob:
    """Create the fan-out job for a message (idempotent) and queue it after commit."""
    job, created = DeliveryJob.objects.get_or_create(message=message, kind=kind)
    if created:
        # First slice: one block, so sending starts as soon as its batches are queued. A
        # warning's fan-out goes ahead of the sending of anything less urgent.
        resolve = fanout.using(priority=batch_priority(message.severity) + FANOUT_AHEAD)
        enqueue_on_commit(resolve, job.pk, 0.0)
        if kind == Kind.MESSAGE:
            fallback.schedule_check(message)
        # The town's own accounts get one post per message (imported here: no import cycle).
        from stadtbote.broadcast import service as broadcast_service

        broadcast_service.schedule(message, kind)
    return job


def resolve_all(job_ids: Iterable[int]) -> None:
    """Run fan-outs inline (management commands and tests without a worker)."""
    for job_id in job_ids:
        fanout.call(job_id)
