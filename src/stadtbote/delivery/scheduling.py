"""Which send batch goes next: warnings before news, the newest first, and no town starving
the others (pure rules, tested without a database).

On Warntag 2020 the national system choked on a burst of warnings and delivered the most
important ones last. Here every send batch has a priority from its message's severity; a worker
that is free takes the most urgent batch that is due, and among equally urgent ones the newest
(an Extreme warning issued a minute ago beats one from an hour ago that has reached most people
already). While other towns have work waiting, a town may hold only a few batches per channel in flight
at once, so a city's 100,000-recipient fan-out leaves workers free for the village next door
(and takes them all when nobody else waits); the one channel all towns share a provider for
(the SMTP relay) has a global cap as well.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from stadtbote.core.severity import Severity

# Batches of one town and channel in flight at once. Push services absorb more (a batch holds
# ``concurrency`` requests open already); SMTP relays and SMS providers throttle per client.
TENANT_SLOTS: Mapping[str, int] = {"webpush": 3, "fcm": 3, "apns": 3, "email": 2, "sms": 2}
# Batches of a channel in flight across all towns, where all towns share one provider: the
# installation's SMTP relay. (SMS providers differ per town; each keeps its sold rate across all
# workers instead, ``throttle.py``.)
CHANNEL_SLOTS: Mapping[str, int] = {"email": 6}
DEFAULT_TENANT_SLOTS = 2
# How far back "given recently" looks when towns take turns.
TURN_WINDOW = timedelta(seconds=30)


def batch_priority(severity: int) -> int:
    """0 for info up to 40 for extreme; also the task-queue priority of the batch's task."""
    return int(Severity(severity)) * 10


@dataclass(frozen=True, slots=True)
class Candidate:
    batch_id: int
    tenant_id: int | None
    channel_type: str
    priority: int
    created_at: datetime  # when its message was published
    # Its place in its own town's queue for the channel (0 = that town's most urgent batch):
    # equally urgent work of several towns is taken in turns, not by one town's backlog first.
    rank: int = 0


def order(
    candidates: Iterable[Candidate],
    running: Mapping[tuple[int | None, str], int],
    *,
    tenant_slots: Mapping[str, int] | None = TENANT_SLOTS,
    channel_slots: Mapping[str, int] = CHANNEL_SLOTS,
    recent: Mapping[tuple[int | None, str], int] | None = None,
) -> list[Candidate]:
    """The candidates a worker may take now, best first.

    ``running`` counts batches in flight per (tenant, channel type), ``recent`` those taken in
    the last ``TURN_WINDOW`` (finished or not): among equally urgent work, the town that was
    given least goes next, so towns take turns even with a single worker. Candidates whose town or
    channel is at its cap are left out; they wait for a slot, not for a worse batch. Without
    ``tenant_slots`` (no other town has work waiting) only the channels' caps apply: a town
    alone on the installation gets every worker.
    """
    per_channel: dict[str, int] = {}
    for (_, channel), n in running.items():
        per_channel[channel] = per_channel.get(channel, 0) + n
    allowed = [
        c
        for c in candidates
        if (
            tenant_slots is None
            or running.get((c.tenant_id, c.channel_type), 0)
            < tenant_slots.get(c.channel_type, DEFAULT_TENANT_SLOTS)
        )
        and per_channel.get(c.channel_type, 0) < channel_slots.get(c.channel_type, 1 << 30)
    ]
    # Most urgent first; then the town with least in flight and least ahead of it in its own
    # queue (turns between towns); then the newest.
    return sorted(
        allowed,
        key=lambda c: (
            -c.priority,
            running.get((c.tenant_id, c.channel_type), 0)
            + (recent or {}).get((c.tenant_id, c.channel_type), 0)
            + c.rank,
            -c.created_at.timestamp(),
            -c.batch_id,
        ),
    )
