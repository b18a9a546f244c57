"""The deliveries summary staff see for a message."""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from stadtbote.delivery.models import DeliveryJob, JobStatus, Kind, Status
from stadtbote.messages.models import Message

# Which delivery statuses count as what in the public summary.
BUCKETS = {
    Status.SENT: "sent",
    Status.FAILED: "failed",
    Status.GONE: "failed",
    Status.PENDING: "pending",
    Status.SENDING: "pending",
    Status.RETRY: "pending",
    Status.HELD: "pending",
    Status.CANCELLED: "cancelled",
}


def summary(message: Message, channels: list[str]) -> dict[str, Any]:
    job = DeliveryJob.objects.filter(message=message, kind=Kind.MESSAGE).first()
    by_channel: dict[str, dict[str, int]] = {
        c: {"sent": 0, "failed": 0, "pending": 0, "held": 0, "cancelled": 0, "gone": 0}
        for c in channels
    }
    counts = (
        message.deliveries.filter(kind=Kind.MESSAGE)
        .values("channel_type", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in counts:
        bucket = by_channel.setdefault(
            row["channel_type"],
            {"sent": 0, "failed": 0, "pending": 0, "held": 0, "cancelled": 0, "gone": 0},
        )
        bucket[BUCKETS[row["status"]]] += row["n"]
        if row["status"] == Status.HELD:
            bucket["held"] += row["n"]
        if row["status"] == Status.GONE:
            bucket["gone"] += row["n"]
    notices_sent = message.deliveries.filter(kind=Kind.WITHDRAWAL, status=Status.SENT).count()
    return {
        "targeted": job.targeted if job else 0,
        "resolving": bool(job and job.status in (JobStatus.QUEUED, JobStatus.RESOLVING)),
        "by_channel": by_channel,
        "withdrawal_notices_sent": notices_sent,
    }
