"""The durable record of sending: one job per fan-out, one row per recipient x channel.

GOV.UK Notify's lesson: every send is a row with a status and a reason, and every attempt leaves
a trace. The unique key on (message, kind, channel type, address key) is the idempotency key that
makes re-running any step safe.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from stadtbote.messages.models import Message
from stadtbote.subscribers.models import Channel, Subscriber


class Kind(models.TextChoices):
    MESSAGE = "message", "Message"
    WITHDRAWAL = "withdrawal", "Withdrawal notice"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RESOLVING = "resolving", "Resolving recipients"
    DONE = "done", "All recipients resolved"
    CANCELLED = "cancelled", "Cancelled"


class DeliveryJob(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    # Next place block to resolve; lets a crashed fan-out resume where it stopped.
    cursor = models.BigIntegerField(default=-1)
    targeted = models.PositiveIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "kind"], name="job_unique_kind")]


class BatchStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"


class DeliveryBatch(models.Model):
    job = models.ForeignKey(DeliveryJob, on_delete=models.CASCADE, related_name="batches")
    # The town whose message it is (the fairness between towns is decided per batch).
    tenant = models.ForeignKey(
        "tenants.Municipality", null=True, on_delete=models.CASCADE, related_name="+"
    )
    channel_type = models.CharField(max_length=16)
    status = models.CharField(
        max_length=16, choices=BatchStatus.choices, default=BatchStatus.QUEUED
    )
    # Warnings before news: higher goes first (delivery/scheduling.py).
    priority = models.SmallIntegerField(default=0)
    # A queued batch whose deliveries wait for a retry is not taken before this.
    not_before = models.DateTimeField(null=True, blank=True)
    # A running batch whose lease ran out belongs to a dead worker and is taken over.
    lease_until = models.DateTimeField(null=True, blank=True)
    # When a worker last took it: towns take turns by what they were given recently.
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["status", "lease_until"], name="batch_status_lease"),
            models.Index(fields=["status", "priority", "created_at"], name="batch_queue"),
            models.Index(fields=["claimed_at"], name="batch_claimed"),
        ]


class Status(models.TextChoices):
    PENDING = "pending", "Pending"
    HELD = "held", "Held (quiet hours)"
    SENDING = "sending", "Sending"
    RETRY = "retry", "Waiting to retry"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    GONE = "gone", "Subscription gone"
    CANCELLED = "cancelled", "Not sent (withdrawn)"


OPEN_STATUSES = (Status.PENDING, Status.HELD, Status.SENDING, Status.RETRY)


class Delivery(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    batch = models.ForeignKey(
        DeliveryBatch, null=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    channel_type = models.CharField(max_length=16)
    address_key = models.CharField(max_length=64)
    # Nulled when a subscriber is erased or a push subscription disappears; the row stays as
    # anonymous statistics.
    subscriber = models.ForeignKey(
        Subscriber, null=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    channel = models.ForeignKey(
        Channel, null=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    language = models.CharField(max_length=8)
    status = models.CharField(max_length=16, choices=Status.choices)
    attempts = models.PositiveSmallIntegerField(default=0)
    not_before = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # When the device said it got the message (push receipts); publish-to-device latency.
    received_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["message", "kind", "channel_type", "address_key"],
                name="delivery_idempotency_key",
            )
        ]
        indexes = [
            models.Index(fields=["batch", "status"], name="delivery_batch_status"),
            models.Index(fields=["status", "not_before"], name="delivery_status_due"),
            models.Index(fields=["subscriber", "status"], name="delivery_subscriber"),
            models.Index(
                fields=["message", "kind", "channel_type", "status"], name="delivery_summary"
            ),
        ]


class Attempt(models.Model):
    """One try to hand a delivery to its channel, with what came back."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    outcome = models.CharField(max_length=16)
    reason = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)


class PeriodicRun(models.Model):
    """Last run of a periodic job; a conditional update elects one runner across all workers."""

    name = models.CharField(max_length=60, unique=True)
    last_run = models.DateTimeField()


class InboxRead(models.Model):
    """A message the subscriber has opened in the app (read/unread in the inbox)."""

    subscriber = models.ForeignKey(
        "subscribers.Subscriber", on_delete=models.CASCADE, related_name="reads"
    )
    message = models.ForeignKey("notices.Message", on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "message"], name="inbox_read_once")
        ]


class SmsStatus(models.TextChoices):
    ACCEPTED = "accepted", "Accepted by the provider"
    BUFFERED = "buffered", "Waiting at the SMSC"
    DELIVERED = "delivered", "Delivered to the phone"
    FAILED = "failed", "Not delivered"
    REJECTED = "rejected", "Rejected by the SMSC"
    EXPIRED = "expired", "Expired (at the SMSC, or no receipt in time)"


SMS_AWAITING = (SmsStatus.ACCEPTED, SmsStatus.BUFFERED)


class SmsSubmission(models.Model):
    """One SMS a provider accepted (one row per provider message id: an SMPP long message has
    one per segment), kept to match its delivery receipt (``delivery/sms_receipts.py``)."""

    # Nulled, not deleted, with the delivery: what the providers did stays as statistics.
    delivery = models.ForeignKey(
        Delivery, null=True, on_delete=models.SET_NULL, related_name="sms_submissions"
    )
    tenant = models.ForeignKey("tenants.Municipality", on_delete=models.CASCADE, related_name="+")
    provider = models.CharField(max_length=60)
    message_id = models.CharField(max_length=64)
    segments = models.PositiveSmallIntegerField(default=1)
    submitted_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=16, choices=SmsStatus.choices, default=SmsStatus.ACCEPTED)
    receipt_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["provider", "message_id"], name="sms_submission_id"),
            models.Index(fields=["status", "submitted_at"], name="sms_submission_open"),
        ]
