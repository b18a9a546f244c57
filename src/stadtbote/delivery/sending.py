"""Sending one batch: claim it, hand its due deliveries to the channel, record every outcome.

Crash safety: a batch is claimed with a lease that is renewed as it progresses. Outcomes are
committed chunk by chunk, so a worker killed mid-batch loses at most the chunk in flight. The
next worker that claims the batch (after the lease ran out) finds those rows still ``sending``
and sends them again; everything recorded as sent is never sent again. The resend carries the
same idempotency key (Web Push ``Topic``, e-mail ``Message-ID``), so a copy the push service
had already accepted is replaced rather than shown twice.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Min, Q, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone
from django_tasks import task

from stadtbote.core.retry import RetryPolicy
from stadtbote.core.tasks import enqueue_on_commit
from stadtbote.delivery import push_credentials, receipts, render, scheduling, shortlinks
from stadtbote.delivery.bulk import insert_rows
from stadtbote.delivery.channels.base import Channel as Transport
from stadtbote.delivery.channels.base import Notice, Outcome, Outgoing
from stadtbote.delivery.models import (
    Attempt,
    BatchStatus,
    Delivery,
    DeliveryBatch,
    DeliveryJob,
    JobStatus,
    Kind,
    Status,
)
from stadtbote.delivery.registry import ChannelUnavailable, open_channel
from stadtbote.messages.models import Message, MessageStatus
from stadtbote.subscribers.models import Channel
from stadtbote.tenants.models import Municipality

log = logging.getLogger(__name__)

BATCH_LEASE = timedelta(seconds=60)
# Outcomes are committed every CHUNK deliveries: the most a crash can leave unrecorded.
CHUNK = 100
SEND_RETRY = RetryPolicy(max_attempts=6, base_delay=5, max_delay=3600)


@task(queue_name="send", priority=0)
def send_batch(batch_id: int) -> str:
    batch = _claim(batch_id)
    if batch is None:
        return "not claimed"
    message = Message.objects.select_related("tenant").get(pk=batch.job.message_id)
    transport: Transport | None = None
    sent = 0
    healthy = False
    heartbeat = _Heartbeat(batch.pk)
    try:
        while True:
            rows = _next_chunk(batch, message)
            if not rows:
                break
            if transport is None:
                try:
                    transport = _channels.take(batch.channel_type, message.tenant)
                except Exception as exc:
                    record(_unopened(batch.channel_type, rows, exc), {d.pk: d for d in rows})
                    continue
            sent += _send_chunk(transport, message, batch, rows)
        healthy = True
    finally:
        heartbeat.stop()
        if transport is not None:
            _channels.give_back(transport, keep=healthy and _more_to_come(batch))
    _finish(batch)
    return f"sent {sent}"


class _Heartbeat:
    """Renews the batch's lease while a chunk is in the channel's hands.

    A chunk may take longer than the lease (an SMS provider timing out, or waiting for its
    rate): without renewal another worker would take the batch over and send the chunk again.
    The thread uses its own database connection and closes it when it stops.
    """

    def __init__(self, batch_id: int):
        self._batch_id = batch_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{batch_id}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from django.db import connection

        try:
            while not self._stop.wait(HEARTBEAT.total_seconds()):
                DeliveryBatch.objects.filter(pk=self._batch_id, status=BatchStatus.RUNNING).update(
                    lease_until=timezone.now() + BATCH_LEASE
                )
        except Exception:  # the lease then simply runs out, as if the worker had died
            log.exception("renewing the lease of batch %s failed", self._batch_id)
        finally:
            connection.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


HEARTBEAT = BATCH_LEASE / 3


# A fan-out queues its batches back to back. Opening a channel per batch would open the push
# service connections again each time (``concurrency_per_origin`` TCP/TLS handshakes per batch,
# an HTTP/2 connection and a fresh provider token for APNs), so a worker keeps its push channel
# for the next batch of the same tenant, but only while
# the job has batches waiting and only for a few seconds: idle pooled connections go stale.
# E-mail channels are never kept: SMTP servers drop idle sessions after seconds.
REUSABLE_KINDS = frozenset({"webpush", "fcm", "apns"})
KEEP_IDLE_SECONDS = 5.0


class _KeptChannel(threading.local):
    """At most one kept channel per kind and worker thread (a channel must not cross threads).

    Per kind, because a mixed fan-out queues its Web Push, app and e-mail batches interleaved:
    keeping only the last one would reconnect at every change of kind.
    """

    def __init__(self) -> None:
        self.kept: dict[str, tuple[tuple[Any, ...], Transport, float]] = {}
        self.taken: dict[int, tuple[Any, ...]] = {}

    def take(self, kind: str, tenant: Municipality) -> Transport:
        # Whatever the channel was built from: changed credentials must not reuse the old one.
        key = (kind, tenant.pk, *_built_from(kind, tenant))
        now = time.monotonic()
        for other, (_, idle, since) in list(self.kept.items()):
            if now - since >= KEEP_IDLE_SECONDS:  # idle pooled connections go stale
                del self.kept[other]
                idle.close()
        found = self.kept.pop(kind, None)
        if found is not None:
            if found[0] == key:
                channel = found[1]
                self.taken[id(channel)] = key
                return channel
            found[1].close()
        channel = open_channel(kind, tenant)
        self.taken[id(channel)] = key
        return channel

    def give_back(self, channel: Transport, keep: bool) -> None:
        key = self.taken.pop(id(channel), None)
        if keep and key is not None and channel.kind in REUSABLE_KINDS:
            self.kept[channel.kind] = (key, channel, time.monotonic())
        else:
            channel.close()


_channels = _KeptChannel()


def _built_from(kind: str, tenant: Municipality) -> tuple[Any, ...]:
    if kind == "webpush":
        return (
            tenant.vapid_private_key,
            tenant.vapid_subject,
            tuple(settings.STADTBOTE_WEBPUSH_ALLOWED_HOSTS),
        )
    if kind == "fcm":
        return (push_credentials.fcm_for(os.environ, tenant.slug),)
    if kind == "apns":
        return (push_credentials.apns_for(os.environ, tenant.slug),)
    return ()


def _unopened(kind: str, rows: list[Pending], exc: Exception) -> list[Outcome]:
    """Outcomes for a chunk whose channel could not be opened.

    A town without credentials for the kind (any more) can never send there; credentials that
    are set but wrong (a truncated key file) are an operator's slip that gets fixed, so those
    deliveries wait and retry with the usual backoff.
    """
    if isinstance(exc, ChannelUnavailable):
        return [Outcome(d.pk, "failed", f"{kind}: {exc}") for d in rows]
    log.error("cannot open the %s channel: %s", kind, exc)
    reason = f"{kind} is misconfigured: {exc}"[:300]
    return [Outcome(d.pk, "retry", reason) for d in rows]


def _more_to_come(batch: DeliveryBatch) -> bool:
    """Whether the batch's job may soon give this worker another batch."""
    if batch.channel_type not in REUSABLE_KINDS:
        return False
    if DeliveryJob.objects.filter(pk=batch.job_id, status=JobStatus.RESOLVING).exists():
        return True
    queued = DeliveryBatch.objects.filter(job_id=batch.job_id, status=BatchStatus.QUEUED)
    return queued.exclude(pk=batch.pk).exists()


def queue_batch(batch_id: int, priority: int, run_after: datetime | None = None) -> None:
    """Queue a send task for a batch, after commit, at the batch's priority."""
    enqueue_on_commit(send_batch.using(priority=priority), batch_id, run_after=run_after)


# How many due batches a free worker weighs; towns and channels at their cap are filtered out
# before, so a city's thousand queued batches never hide the village's one.
CANDIDATES = 20
PER_TOWN = 4
# A batch waiting for its town's slot is looked at again this soon.
SLOT_WAIT = timedelta(seconds=1)


def _claim(hint: int) -> DeliveryBatch | None:
    """Take the most urgent batch that is due (``scheduling.order``), not necessarily ``hint``.

    Every queued batch has one task; whichever task runs takes the best batch, so the number of
    tasks still matches the number of batches to send. A task whose own batch must wait for a
    slot (its town or channel is at the cap) comes back for it shortly.
    """
    now = timezone.now()
    running: dict[tuple[int | None, str], int] = {
        (tenant, channel): n
        for tenant, channel, n in DeliveryBatch.objects.filter(
            status=BatchStatus.RUNNING, lease_until__gte=now
        )
        .values_list("tenant_id", "channel_type")
        .annotate(n=Count("id"))
        .values_list("tenant_id", "channel_type", "n")
    }
    recent: dict[tuple[int | None, str], int] = {
        (tenant, channel): n
        for tenant, channel, n in DeliveryBatch.objects.filter(
            claimed_at__gte=now - scheduling.TURN_WINDOW
        )
        .values_list("tenant_id", "channel_type")
        .annotate(n=Count("id"))
        .values_list("tenant_id", "channel_type", "n")
    }
    ranked = scheduling.order(_candidates(now, running), running, recent=recent)
    if not ranked:
        # Only towns at their cap have work waiting: nobody to be fair to, so they go on.
        everyone = _candidates(now, running, fair=False)
        ranked = scheduling.order(everyone, running, tenant_slots=None, recent=recent)
    for candidate in ranked:
        if _take(candidate.batch_id, _waiting(now), now):
            if candidate.batch_id != hint:
                _requeue_if_waiting(hint, now, at_once=True)
            return _taken(candidate.batch_id)
    # Outside the queue: a done batch given new deliveries (quiet hours ended), or the task's
    # own batch whose worker died.
    stale = Q(status=BatchStatus.DONE) | Q(status=BatchStatus.RUNNING, lease_until__lt=now)
    if _take(hint, stale, now):
        return _taken(hint)
    _requeue_if_waiting(hint, now, at_once=False)
    return None


def _requeue_if_waiting(hint: int, now: datetime, *, at_once: bool) -> None:
    """The task of a batch still queued must not vanish: this task took another batch (its own
    then needs a task again) or none (its own waits for a slot). Extra tasks find nothing and
    end; a batch without one would never be sent."""
    waiting = DeliveryBatch.objects.filter(_waiting(now), pk=hint).first()
    if waiting is None:
        return
    due = waiting.not_before if waiting.not_before and waiting.not_before > now else None
    if waiting.status == BatchStatus.RUNNING:
        at_once = True  # a dead worker's batch: no slot to wait for
    queue_batch(hint, waiting.priority, run_after=due or (None if at_once else now + SLOT_WAIT))


def _waiting(now: datetime) -> Q:
    """Batches waiting for a worker: queued, or running under a lease that ran out (their
    worker died; what it had recorded as sent stays sent)."""
    return Q(status=BatchStatus.QUEUED) | Q(status=BatchStatus.RUNNING, lease_until__lt=now)


def _candidates(
    now: datetime, running: dict[tuple[int | None, str], int], fair: bool = True
) -> list[scheduling.Candidate]:
    queued = DeliveryBatch.objects.filter(
        _waiting(now), Q(not_before__isnull=True) | Q(not_before__lte=now)
    )
    channel_load: dict[str, int] = {}
    for (tenant, channel), n in running.items():
        channel_load[channel] = channel_load.get(channel, 0) + n
        if fair and n >= scheduling.TENANT_SLOTS.get(channel, scheduling.DEFAULT_TENANT_SLOTS):
            queued = queued.exclude(tenant_id=tenant, channel_type=channel)
    for channel, n in channel_load.items():
        if n >= scheduling.CHANNEL_SLOTS.get(channel, 1 << 30):
            queued = queued.exclude(channel_type=channel)
    # "Newest" is the message's publication: a later slice of an older warning's fan-out
    # makes newer batches, and they must not overtake a warning issued since.
    published = Coalesce("job__message__published_at", "created_at")
    # Each town's own few best batches per channel, so one town's backlog of newer batches
    # cannot push another town's work out of the window.
    rank = Window(
        RowNumber(),
        partition_by=[F("tenant_id"), F("channel_type")],
        order_by=[F("priority").desc(), F("published").desc(), F("id").desc()],
    )
    rows = (
        queued.annotate(published=published, rank=rank)
        .filter(rank__lte=PER_TOWN)
        .order_by("-priority", "rank", "-published")
        .values_list("id", "tenant_id", "channel_type", "priority", "published", "rank")[
            :CANDIDATES
        ]
    )
    return [scheduling.Candidate(*row[:5], rank=row[5] - 1) for row in rows]


def _take(batch_id: int, condition: Q, now: datetime) -> bool:
    return bool(
        DeliveryBatch.objects.filter(condition, pk=batch_id).update(
            status=BatchStatus.RUNNING,
            lease_until=now + BATCH_LEASE,
            not_before=None,
            claimed_at=now,
        )
    )


def _taken(batch_id: int) -> DeliveryBatch:
    batch = DeliveryBatch.objects.select_related("job").get(pk=batch_id)
    # Rows left "sending" can only belong to a claimant that died: we hold the lease now.
    Delivery.objects.filter(batch=batch, status=Status.SENDING).update(status=Status.PENDING)
    return batch


@dataclass(slots=True)
class Pending:
    """A delivery taken for sending, with what its channel needs (no model instances: this
    runs for every recipient)."""

    pk: int
    message_id: Any
    kind: str
    channel_type: str
    address_key: str
    language: str
    attempts: int  # including the attempt being made
    channel_id: int | None
    address: str | None
    p256dh: str
    auth: str


_PENDING_FIELDS = (
    "id",
    "message_id",
    "kind",
    "channel_type",
    "address_key",
    "language",
    "attempts",
    "channel_id",
    "channel__address",
    "channel__p256dh",
    "channel__auth",
)


def _next_chunk(batch: DeliveryBatch, message: Message) -> list[Pending]:
    now = timezone.now()
    due = Q(status=Status.PENDING) | Q(status=Status.RETRY, not_before__lte=now)
    with transaction.atomic():
        if batch.job.kind == Kind.MESSAGE and _withdrawn(message):
            Delivery.objects.filter(due | Q(status=Status.HELD), batch=batch).update(
                status=Status.CANCELLED, reason="message withdrawn", not_before=None
            )
            return []
        rows = list(
            Delivery.objects.filter(due, batch=batch)
            .order_by("id")
            .values_list(*_PENDING_FIELDS)[:CHUNK]
        )
        if not rows:
            return []
        Delivery.objects.filter(pk__in=[r[0] for r in rows]).update(
            status=Status.SENDING, attempts=F("attempts") + 1, last_attempt_at=now
        )
        DeliveryBatch.objects.filter(pk=batch.pk).update(lease_until=now + BATCH_LEASE)
    return [
        Pending(
            pk=pk,
            message_id=mid,
            kind=kind,
            channel_type=ctype,
            address_key=key,
            language=lang,
            attempts=attempts + 1,
            channel_id=cid,
            address=address,
            p256dh=p256dh or "",
            auth=auth or "",
        )
        for pk, mid, kind, ctype, key, lang, attempts, cid, address, p256dh, auth in rows
    ]


def _withdrawn(message: Message) -> bool:
    status = Message.objects.filter(pk=message.pk).values_list("status", flat=True).first()
    return status == MessageStatus.CANCELLED


def _send_chunk(
    transport: Transport, message: Message, batch: DeliveryBatch, rows: list[Pending]
) -> int:
    notices: dict[tuple[str, str], Notice] = {}
    items: list[Outgoing] = []
    outcomes: list[Outcome] = []
    got_original = _got_original(message, rows)
    for d in rows:
        if d.channel_id is None or d.address is None:
            outcomes.append(Outcome(d.pk, "failed", "channel removed before sending"))
            continue
        # Whoever had the message this one replaces gets it as an update of that one, not as
        # a new alarm (CAP msgType Update); everyone else as a new message.
        kind = "update" if d.kind == Kind.MESSAGE and d.channel_id in got_original else d.kind
        notice = notices.get((kind, d.language))
        if notice is None:
            notice = notices[kind, d.language] = render.notice(message, kind, d.language)
        about = message.replaces_id if kind == "update" else d.message_id
        items.append(
            Outgoing(
                delivery_id=d.pk,
                address=d.address,
                notice=notice,
                extra=_extra(d, message),
                # Same key for a message, its withdrawal and its updates: a later notice then
                # replaces an earlier one that still waits at the push service (Web Push Topic).
                key=f"{about}:{d.channel_type}:{d.address_key}",
            )
        )
    if items:
        try:
            outcomes.extend(transport.send(items))
        except Exception as exc:  # a channel bug must not strand the chunk in "sending"
            log.exception("channel %s raised", batch.channel_type)
            outcomes.extend(
                Outcome(i.delivery_id, "retry", f"channel error: {type(exc).__name__}")
                for i in items
            )
    return record(outcomes, {d.pk: d for d in rows})


def _got_original(message: Message, rows: list[Pending]) -> set[int]:
    """The channels among ``rows`` that received the message ``message`` replaces."""
    if not message.replaces_id:
        return set()
    return set(
        Delivery.objects.filter(
            message_id=message.replaces_id,
            kind=Kind.MESSAGE,
            status=Status.SENT,
            channel_id__in=[d.channel_id for d in rows if d.channel_id is not None],
        ).values_list("channel_id", flat=True)
    )


def _extra(d: Pending, message: Message) -> dict[str, str]:
    if d.channel_type == "webpush":
        return {"p256dh": d.p256dh, "auth": d.auth, "receipt": receipts.mint(d.pk)}
    if d.channel_type in ("fcm", "apns"):
        return {"receipt": receipts.mint(d.pk)}
    if d.channel_type == "sms":
        return {"short_url": shortlinks.short_url(message.tenant.slug, message.pk)}
    if d.channel_type != "email":
        return {}
    from stadtbote.subscribers.doi import unsubscribe_token

    return {
        "unsubscribe_url": f"{settings.PUBLIC_URL}/{message.tenant.slug}/unsubscribe/{unsubscribe_token(Channel(pk=d.channel_id))}"
    }


_ATTEMPT_FIELDS = ("delivery", "number", "outcome", "reason", "at")


def record(outcomes: list[Outcome], rows: dict[int, Pending]) -> int:
    """Write a chunk's outcomes (and one Attempt row each) in one transaction; returns the
    number sent."""
    now = timezone.now()
    sent: list[int] = []
    changed: list[Delivery] = []
    attempts: list[tuple[int, int, str, str, datetime]] = []
    gone_channels: list[int] = []
    for outcome in outcomes:
        d = rows[outcome.delivery_id]
        attempts.append((d.pk, d.attempts, outcome.status, outcome.reason[:300], now))
        if outcome.status == "sent":
            sent.append(d.pk)
            continue
        status: str = outcome.status
        reason, not_before = outcome.reason[:300], None
        if outcome.status == "retry":
            if SEND_RETRY.exhausted(d.attempts):
                status = Status.FAILED
                reason = f"gave up after {d.attempts} attempts: {outcome.reason}"[:300]
            else:
                status = Status.RETRY
                not_before = now + timedelta(
                    seconds=SEND_RETRY.delay(d.attempts, outcome.retry_after)
                )
        elif outcome.status == "gone" and d.channel_id:
            gone_channels.append(d.channel_id)
        changed.append(Delivery(pk=d.pk, status=status, reason=reason, not_before=not_before))
    with transaction.atomic():
        if sent:
            Delivery.objects.filter(pk__in=sent).update(
                status=Status.SENT, sent_at=now, reason="", not_before=None
            )
        if changed:
            Delivery.objects.bulk_update(changed, ["status", "reason", "not_before"])
        insert_rows(Attempt, _ATTEMPT_FIELDS, attempts)
        if gone_channels:
            forget_gone_subscriptions(gone_channels)
    return len(sent)


def forget_gone_subscriptions(channel_ids: list[int]) -> None:
    """404/410: the browser dropped the subscription; keeping it would only cost requests.
    Also used for follower notices about reports (``reports/push.py``)."""
    Channel.objects.filter(pk__in=channel_ids).delete()


def _finish(batch: DeliveryBatch) -> None:
    """Release the batch; if deliveries wait for a retry, come back when the first is due."""
    with transaction.atomic():
        next_due = Delivery.objects.filter(batch=batch, status=Status.RETRY).aggregate(
            t=Min("not_before")
        )["t"]
        # Rows that became pending after the last chunk was read (quiet hours just ended).
        if Delivery.objects.filter(batch=batch, status=Status.PENDING).exists():
            next_due = timezone.now()
        DeliveryBatch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.QUEUED if next_due else BatchStatus.DONE,
            lease_until=None,
            not_before=next_due,
        )
        if next_due:
            queue_batch(batch.pk, batch.priority, run_after=next_due)
