"""Following a sending live: how long until half, nine in ten and all deliveries were sent,
and why the failed ones failed."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count

from stadtbote.delivery.models import Kind, Status
from stadtbote.messages.models import Message

MILESTONES = (50, 90, 100)


def percentile(values: list[float], share: int) -> float | None:
    """The nearest-rank percentile of ``values`` (pure); None without values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * share / 100) - 1)]


def seconds_to(share: int, sent_times: list[datetime], total: int, start: datetime) -> float | None:
    """Seconds from ``start`` until ``share`` % of ``total`` deliveries were sent (pure)."""
    if total == 0:
        return None
    needed = math.ceil(total * share / 100)
    if needed == 0 or len(sent_times) < needed:
        return None
    return max(0.0, (sorted(sent_times)[needed - 1] - start).total_seconds())


@dataclass(frozen=True)
class Progress:
    total: int
    sent: int
    milestones: dict[int, float | None]
    reasons: list[tuple[str, int]]
    # Per push channel: devices that confirmed receipt and the p50/p90 seconds from publishing.
    arrival: dict[str, Arrival]


@dataclass(frozen=True)
class Arrival:
    received: int
    p50: float | None
    p90: float | None


def progress(message: Message) -> Progress:
    deliveries = message.deliveries.filter(kind=Kind.MESSAGE).exclude(status=Status.CANCELLED)
    total = deliveries.count()
    sent_times = [
        t
        for t in deliveries.filter(status=Status.SENT).values_list("sent_at", flat=True)
        if t is not None
    ]
    start = message.published_at or message.created_at
    reasons = [
        (row["reason"] or "-", row["n"])
        for row in deliveries.filter(status__in=[Status.FAILED, Status.GONE])
        .values("reason")
        .annotate(n=Count("id"))
        .order_by("-n")[:10]
    ]
    return Progress(
        total=total,
        sent=len(sent_times),
        milestones={m: seconds_to(m, sent_times, total, start) for m in MILESTONES},
        reasons=reasons,
        arrival=arrival(message),
    )


def arrival(message: Message) -> dict[str, Arrival]:
    """Publish-to-device latency per channel, from push receipts."""
    start = message.published_at or message.created_at
    by_channel: dict[str, list[float]] = {}
    received = message.deliveries.filter(kind=Kind.MESSAGE, received_at__isnull=False)
    for channel, at in received.values_list("channel_type", "received_at").iterator(2000):
        if at is not None:
            by_channel.setdefault(channel, []).append(max(0.0, (at - start).total_seconds()))
    return {
        channel: Arrival(len(values), percentile(values, 50), percentile(values, 90))
        for channel, values in sorted(by_channel.items())
    }
