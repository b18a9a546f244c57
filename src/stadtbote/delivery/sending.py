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
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Min, Q
from django.utils import timezone
from django_tasks import task

from stadtbote.core.retry import RetryPolicy
from stadtbote.core.tasks import enqueue_on_commit
from stadtbote.delivery import render
from stadtbote.delivery.channels.base import Channel as Transport
from stadtbote.delivery.channels.base import Notice, Outcome, Outgoing
from stadtbote.delivery.models import Attempt, BatchStatus, Delivery, DeliveryBatch, Kind, Status
from stadtbote.delivery.registry import open_channel
from stadtbote.messages.models import Message, MessageStatus
from stadtbote.subscribers.models import Channel

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
    try:
        while True:
            rows = _next_chunk(batch, message)
            if not rows:
                break
            if transport is None:
                transport = open_channel(batch.channel_type, message.tenant)
            sent += _send_chunk(transport, message, batch, rows)
    finally:
        if transport is not None:
            transport.close()
    _finish(batch)
    return f"sent {sent}"


def _claim(batch_id: int) -> DeliveryBatch | None:
    now = timezone.now()
    free = Q(status__in=[BatchStatus.QUEUED, BatchStatus.DONE]) | Q(lease_until__lt=now)
    claimed = DeliveryBatch.objects.filter(free, pk=batch_id).update(
        status=BatchStatus.RUNNING, lease_until=now + BATCH_LEASE
    )
    if not claimed:
        return None
    batch = DeliveryBatch.objects.select_related("job").get(pk=batch_id)
    # Rows left "sending" can only belong to a claimant that died: we hold the lease now.
    Delivery.objects.filter(batch=batch, status=Status.SENDING).update(status=Status.PENDING)
    return batch


def _next_chunk(batch: DeliveryBatch, message: Message) -> list[Delivery]:
    now = timezone.now()
    due = Q(status=Status.PENDING) | Q(status=Status.RETRY, not_before__lte=now)
    with transaction.atomic():
        if batch.job.kind == Kind.MESSAGE and _withdrawn(message):
            Delivery.objects.filter(due | Q(status=Status.HELD), batch=batch).update(
                status=Status.CANCELLED, reason="message withdrawn", not_before=None
            )
            return []
        ids = list(
            Delivery.objects.filter(due, batch=batch)
            .order_by("id")
            .values_list("id", flat=True)[:CHUNK]
        )
        if not ids:
            return []
        Delivery.objects.filter(pk__in=ids).update(
            status=Status.SENDING, attempts=F("attempts") + 1, last_attempt_at=now
        )
        DeliveryBatch.objects.filter(pk=batch.pk).update(lease_until=now + BATCH_LEASE)
    return list(Delivery.objects.filter(pk__in=ids).select_related("channel"))


def _withdrawn(message: Message) -> bool:
    status = Message.objects.filter(pk=message.pk).values_list("status", flat=True).first()
    return status == MessageStatus.CANCELLED


def _send_chunk(
    transport: Transport, message: Message, batch: DeliveryBatch, rows: list[Delivery]
) -> int:
    notices: dict[str, Notice] = {}
    items: list[Outgoing] = []
    outcomes: list[Outcome] = []
    for d in rows:
        channel: Channel | None = d.channel
        if channel is None:
            outcomes.append(Outcome(d.pk, "failed", "channel removed before sending"))
            continue
        if d.language not in notices:
            notices[d.language] = render.notice(message, d.kind, d.language)
        items.append(
            Outgoing(
                delivery_id=d.pk,
                address=channel.address,
                notice=notices[d.language],
                extra=_extra(channel, message),
                # Same key for a message and its withdrawal: a withdrawal notice then replaces an
                # original that still waits at the push service (Web Push Topic).
                key=f"{d.message_id}:{d.channel_type}:{d.address_key}",
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


def _extra(channel: Channel, message: Message) -> dict[str, str]:
    if channel.type == "webpush":
        return {"p256dh": channel.p256dh, "auth": channel.auth}
    from stadtbote.subscribers.doi import unsubscribe_token

    return {
        "unsubscribe_url": f"{settings.PUBLIC_URL}/{message.tenant.slug}/unsubscribe/{unsubscribe_token(channel)}"
    }


def record(outcomes: list[Outcome], rows: dict[int, Delivery]) -> int:
    """Write a chunk's outcomes (and one Attempt row each) in one transaction; returns the
    number sent."""
    now = timezone.now()
    sent: list[int] = []
    changed: list[Delivery] = []
    attempts: list[Attempt] = []
    gone_channels: list[int] = []
    for outcome in outcomes:
        d = rows[outcome.delivery_id]
        attempts.append(
            Attempt(
                delivery_id=d.pk,
                number=d.attempts,
                outcome=outcome.status,
                reason=outcome.reason[:300],
                at=now,
            )
        )
        if outcome.status == "sent":
            sent.append(d.pk)
            continue
        d.status, d.reason, d.not_before = outcome.status, outcome.reason[:300], None
        if outcome.status == "retry":
            if SEND_RETRY.exhausted(d.attempts):
                d.status = Status.FAILED
                d.reason = f"gave up after {d.attempts} attempts: {outcome.reason}"[:300]
            else:
                d.status = Status.RETRY
                d.not_before = now + timedelta(
                    seconds=SEND_RETRY.delay(d.attempts, outcome.retry_after)
                )
        elif outcome.status == "gone" and d.channel_id:
            gone_channels.append(d.channel_id)
        changed.append(d)
    with transaction.atomic():
        if sent:
            Delivery.objects.filter(pk__in=sent).update(
                status=Status.SENT, sent_at=now, reason="", not_before=None
            )
        if changed:
            Delivery.objects.bulk_update(changed, ["status", "reason", "not_before"])
        Attempt.objects.bulk_create(attempts)
        if gone_channels:
            # 404/410: the browser dropped the subscription; keeping it would only cost requests.
            Channel.objects.filter(pk__in=gone_channels).delete()
    return len(sent)


def _finish(batch: DeliveryBatch) -> None:
    """Release the batch; if deliveries wait for a retry, come back when the first is due."""
    with transaction.atomic():
        next_due = Delivery.objects.filter(batch=batch, status=Status.RETRY).aggregate(
            t=Min("not_before")
        )["t"]
        DeliveryBatch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.QUEUED if next_due else BatchStatus.DONE, lease_until=None
        )
        if next_due:
            enqueue_on_commit(send_batch, batch.pk, run_after=next_due)
