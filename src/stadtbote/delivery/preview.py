"""How many people a message would reach, per channel, before it is sent: the fan-out's own
targeting (the same compiled target, the same place blocks, the same channel filter), only
counted instead of written."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from django.db.models import Count

from stadtbote.core.severity import Severity
from stadtbote.delivery.fanout import stream_blocks
from stadtbote.geo import service as geo
from stadtbote.subscribers.models import Channel, ChannelStatus
from stadtbote.tenants.models import Municipality, Topic

CHUNK = 5000  # ids per query: below SQLite's limit on bound parameters


@dataclass(frozen=True)
class Reach:
    subscribers: int  # with at least one confirmed channel of those chosen
    by_channel: dict[str, int] = field(default_factory=dict)


def reach(
    tenant: Municipality, severity: Severity, topics: list[str], area: dict, channels: list[str]
) -> Reach:
    """``area`` as stored on a message (``messages.service.area`` normalises input)."""
    bits = Topic.objects.filter(tenant=tenant, slug__in=topics).values_list("bit", flat=True)
    compiled = geo.compile_target(tenant, severity, sum(1 << b for b in bits), area)
    matched = [geo.match(arrays, compiled) for _, arrays in stream_blocks(tenant, -1)]
    ids = np.unique(np.concatenate(matched)) if matched else np.array([], dtype=np.int64)
    by_channel: dict[str, int] = dict.fromkeys(channels, 0)
    reached: set[int] = set()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK].tolist()
        confirmed = Channel.objects.filter(
            subscriber_id__in=chunk,
            status=ChannelStatus.CONFIRMED,
            type__in=channels,
            subscriber__paused=False,
        )
        for row in confirmed.values("type").annotate(n=Count("id")).order_by():
            by_channel[row["type"]] += row["n"]
        reached.update(confirmed.values_list("subscriber_id", flat=True).distinct())
    return Reach(subscribers=len(reached), by_channel=by_channel)
