"""Publishing and withdrawing messages: the entry points the API calls."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from stadtbote.core.tasks import enqueue_on_commit
from stadtbote.delivery.fanout import start_job
from stadtbote.delivery.models import OPEN_STATUSES, Delivery, DeliveryJob, JobStatus, Kind, Status
from stadtbote.messages.models import Message, MessageStatus
from stadtbote.messages.service import earlier_versions


def submit(message: Message) -> None:
    """Start sending now, or schedule it; drafts wait for approval."""
    if message.status == MessageStatus.PUBLISHED:
        start_job(message, Kind.MESSAGE)
    elif message.status == MessageStatus.SCHEDULED:
        enqueue_on_commit(publish_scheduled, str(message.pk), run_after=message.send_at)


def approve(message: Message) -> bool:
    """Release a held draft: publish now, or at its send_at.

    Returns False, changing nothing, when the message no longer waits for approval (withdrawn
    or approved by someone else since the caller looked); ``message.status`` then says why.
    """
    now = timezone.now()
    with transaction.atomic():
        # Locked and read again: a withdrawal racing this approval must not be sent after all.
        current = Message.objects.select_for_update().get(pk=message.pk)
        if current.status != MessageStatus.DRAFT:
            message.status = current.status
            return False
        if current.send_at and current.send_at > now:
            current.status = MessageStatus.SCHEDULED
        else:
            current.status = MessageStatus.PUBLISHED
            current.published_at = now
        current.version += 1
        current.save(update_fields=["status", "published_at", "version"])
        _touch_replaced(current)
        submit(current)
    message.status, message.published_at, message.version = (
        current.status,
        current.published_at,
        current.version,
    )
    return True


@task(queue_name="fanout", priority=5)
def publish_scheduled(message_id: str) -> str:
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status != MessageStatus.SCHEDULED:
            return "skipped"
        if message.send_at and message.send_at > timezone.now():
            # send_at moved later after this task was queued; come back then.
            enqueue_on_commit(publish_scheduled, message_id, run_after=message.send_at)
            return "rescheduled"
        message.status = MessageStatus.PUBLISHED
        message.published_at = timezone.now()
        message.version += 1
        message.save(update_fields=["status", "published_at", "version"])
        _touch_replaced(message)
        start_job(message, Kind.MESSAGE)
    return "published"


def _touch_replaced(message: Message) -> None:
    """The earlier message's page links to its update; its cached copies must change too."""
    if message.replaces_id:
        Message.objects.filter(pk=message.replaces_id).update(version=F("version") + 1)


def cancel(message: Message) -> int:
    """Withdraw a message: nothing more is sent, and whoever got it is told.

    Returns how many open deliveries were stopped.
    """
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message.pk)
        if message.status == MessageStatus.CANCELLED:
            return 0
        message.status = MessageStatus.CANCELLED
        message.cancelled_at = timezone.now()
        message.version += 1
        message.save(update_fields=["status", "cancelled_at", "version"])
        _touch_replaced(message)
        DeliveryJob.objects.filter(message=message, kind=Kind.MESSAGE).exclude(
            status=JobStatus.DONE
        ).update(status=JobStatus.CANCELLED)
        # "sending" rows are in a worker's hands; they finish, and are then told as well.
        stopped = (
            Delivery.objects.filter(message=message, kind=Kind.MESSAGE, status__in=OPEN_STATUSES)
            .exclude(status=Status.SENDING)
            .update(status=Status.CANCELLED, reason="message withdrawn", not_before=None)
        )
        stopped += _retire_earlier_versions(message)
        enqueue_on_commit(notify_withdrawal, str(message.pk))
    return stopped


def _retire_earlier_versions(message: Message) -> int:
    """The versions an update replaced go with it, quietly: the all-clear of the latest one
    reaches everyone who got them (an update reaches the same people), and telling them once
    per version would be one alarm too many. Returns how many open deliveries were stopped."""
    earlier = earlier_versions(message.pk)
    if not earlier:
        return 0
    Message.objects.filter(
        pk__in=earlier, status__in=(MessageStatus.PUBLISHED, MessageStatus.SCHEDULED)
    ).update(status=MessageStatus.CANCELLED, cancelled_at=timezone.now(), version=F("version") + 1)
    DeliveryJob.objects.filter(message_id__in=earlier, kind=Kind.MESSAGE).exclude(
        status=JobStatus.DONE
    ).update(status=JobStatus.CANCELLED)
    return (
        Delivery.objects.filter(message_id__in=earlier, kind=Kind.MESSAGE, status__in=OPEN_STATUSES)
        .exclude(status=Status.SENDING)
        .update(status=Status.CANCELLED, reason="message withdrawn", not_before=None)
    )


@task(queue_name="fanout", priority=5)
def notify_withdrawal(message_id: str) -> str:
    """Start the withdrawal fan-out once no delivery of the message is in flight any more."""
    from datetime import timedelta

    message = Message.objects.get(pk=message_id)
    if Delivery.objects.filter(message=message, kind=Kind.MESSAGE, status=Status.SENDING).exists():
        enqueue_on_commit(
            notify_withdrawal, message_id, run_after=timezone.now() + timedelta(seconds=5)
        )
        return "waiting for in-flight deliveries"
    with transaction.atomic():
        start_job(message, Kind.WITHDRAWAL)
    return "started"
