"""SMS fallback for warnings: whoever registered a phone number is not left without a severe
or extreme warning because their push did not arrive.

Two moments (for a warning sent by push but not by SMS):
- at once, while recipients are resolved: a subscriber with a number and no push channel the
  warning uses gets the SMS with everyone else's push;
- after ``CHECK_AFTER``: a subscriber whose push deliveries all failed, were pruned, or brought
  no receipt from the device (``receipts.py``) gets the SMS then. Pushes still on their way
  (queued, retrying, sent less than ``CHECK_AFTER`` ago) are looked at again every ``RECHECK``,
  up to ``MAX_RECHECKS`` times; then they count as not arrived.

The SMS is an ordinary delivery row with the usual idempotency key, so nobody gets it twice,
and a withdrawal or update later reaches that number too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from stadtbote.core.severity import Severity
from stadtbote.core.tasks import enqueue_on_commit
from stadtbote.delivery.models import OPEN_STATUSES, Delivery, DeliveryJob, JobStatus, Kind, Status
from stadtbote.delivery.scheduling import batch_priority
from stadtbote.messages.models import Message, MessageStatus
from stadtbote.subscribers.models import Channel, ChannelStatus

log = logging.getLogger(__name__)

PUSH_TYPES = frozenset({"webpush", "fcm", "apns"})
# Push services deliver within seconds to a phone that is on; three minutes without a receipt
# means the phone is off, out of coverage or the subscription is dead.
CHECK_AFTER = timedelta(minutes=3)
# While the fan-out is still resolving recipients, the check looks again this much later.
RECHECK = timedelta(seconds=30)
MAX_RECHECKS = 20
CHUNK = 1000

Row = TypeVar("Row", bound=Sequence[Any])


def applies(severity: int, channels: Sequence[str]) -> bool:
    """A severe or extreme warning sent by push and not by SMS anyway (pure)."""
    return (
        severity >= Severity.SEVERE
        and "sms" not in channels
        and bool(PUSH_TYPES.intersection(channels))
    )


def sms_at_once(message: Message) -> bool:
    return applies(message.severity, message.channels)


def without_sms_where_push(rows: list[Row], *, type_at: int, subscriber_at: int) -> list[Row]:
    """Channel rows minus the SMS of subscribers who also have push (pure): their SMS waits
    for the check."""
    with_push = {r[subscriber_at] for r in rows if r[type_at] in PUSH_TYPES}
    return [r for r in rows if r[type_at] != "sms" or r[subscriber_at] not in with_push]


def schedule_check(message: Message) -> None:
    if sms_at_once(message):
        check = check_push_arrived.using(priority=batch_priority(message.severity) + 5)
        start = message.published_at or timezone.now()
        enqueue_on_commit(check, str(message.pk), run_after=start + CHECK_AFTER)


@task(queue_name="fanout", priority=45)
def check_push_arrived(message_id: str, recheck: int = 0) -> str:
    """SMS to the subscribers with a number whose push of this warning did not arrive."""
    message = Message.objects.select_related("tenant").filter(pk=message_id).first()
    if message is None or message.status != MessageStatus.PUBLISHED:
        return "not published"
    if message.expires_at and message.expires_at <= timezone.now():
        return "expired"
    for update in Message.objects.filter(replaces=message, status=MessageStatus.PUBLISHED):
        if sms_at_once(update):
            return "updated since: the update's own check covers it"
    job = DeliveryJob.objects.filter(message=message, kind=Kind.MESSAGE).first()
    if job is None:
        return "no fan-out"
    if job.status in (JobStatus.QUEUED, JobStatus.RESOLVING):
        if recheck < MAX_RECHECKS:
            again = check_push_arrived.using(priority=batch_priority(message.severity) + 5)
            enqueue_on_commit(again, message_id, recheck + 1, run_after=timezone.now() + RECHECK)
            return "recipients still being resolved"
        log.error("SMS fallback for %s gave up: fan-out still resolving", message_id)
        return "gave up"
    final = recheck >= MAX_RECHECKS
    missed, waiting = _missed(message, timezone.now(), final=final)
    if waiting and not final:
        # Some pushes are still on their way: those people are looked at again shortly.
        again = check_push_arrived.using(priority=batch_priority(message.severity) + 5)
        enqueue_on_commit(again, message_id, recheck + 1, run_after=timezone.now() + RECHECK)
    sent = 0
    chunk: list[int] = []
    for subscriber_id in missed.iterator(chunk_size=CHUNK):
        chunk.append(subscriber_id)
        if len(chunk) >= CHUNK:
            sent += _queue_sms(job, message, chunk)
            chunk = []
    if chunk:
        sent += _queue_sms(job, message, chunk)
    log.info("SMS fallback for %s: %d numbers", message_id, sent)
    return f"{sent} SMS"


def _missed(message: Message, now: datetime, *, final: bool) -> tuple[Any, bool]:
    """Subscribers whose push of this warning did not arrive, and whether some pushes are still
    on their way (queued, retrying, or sent too recently to expect a receipt yet)."""
    push = Delivery.objects.filter(
        message=message,
        kind=Kind.MESSAGE,
        channel_type__in=PUSH_TYPES,
        subscriber__isnull=False,
    )
    # Our service worker always reports a receipt. A native app reports one only if it was
    # built to (a notification service extension on iOS, a data handler on Android): if no
    # phone of that kind reported one for this warning, "sent" is the best we know there.
    reporting = set(
        push.filter(received_at__isnull=False).values_list("channel_type", flat=True).distinct()
    )
    silent = [kind for kind in ("fcm", "apns") if kind not in reporting]
    arrived = push.filter(
        Q(received_at__isnull=False) | Q(channel_type__in=silent, status=Status.SENT)
    )
    on_the_way = push.filter(
        Q(status__in=OPEN_STATUSES) | Q(status=Status.SENT, sent_at__gt=now - CHECK_AFTER),
        received_at__isnull=True,
    )
    missed = push.exclude(subscriber_id__in=arrived.values("subscriber_id"))
    waiting = on_the_way.exists()
    if waiting and not final:
        missed = missed.exclude(subscriber_id__in=on_the_way.values("subscriber_id"))
    ids = missed.order_by("subscriber_id").values_list("subscriber_id", flat=True).distinct()
    return ids, waiting


def _queue_sms(job: DeliveryJob, message: Message, subscriber_ids: list[int]) -> int:
    from stadtbote.delivery.fanout import _create_deliveries, _Plan

    now = timezone.now()
    numbers = Channel.objects.filter(
        subscriber_id__in=subscriber_ids,
        type="sms",
        status=ChannelStatus.CONFIRMED,
        subscriber__paused=False,
    ).values_list("id", "subscriber_id", "address_key", "subscriber__language")
    plan = _Plan()
    for cid, sid, key, lang in numbers:
        plan.by_type.setdefault("sms", []).append(
            (message.pk, str(Kind.MESSAGE), "sms", key, sid, cid, lang, "pending", None, 0, "", now)
        )
    with transaction.atomic():
        _create_deliveries(job, message, plan)
    return len(plan.by_type.get("sms", []))
