"""Shared test data for the targeting tests: a grid of square districts, and profiles as rows."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely

from stadtbote.geo import rule
from stadtbote.geo.blocks import NO_DISTRICT, PlaceArrays

TOPICS = ("roads", "water", "events", "waste")
TOPIC_BITS = {topic: bit for bit, topic in enumerate(TOPICS)}


def square_districts(
    n: int = 3, size: float = 400.0, first_id: int = 10
) -> dict[int, shapely.Polygon]:
    """``n`` x ``n`` square districts of ``size`` metres from the origin, ids row by row."""
    return {
        first_id + row * n + col: shapely.box(
            col * size, row * size, (col + 1) * size, (row + 1) * size
        )
        for row in range(n)
        for col in range(n)
    }


def mask_of(topics: frozenset[str]) -> int:
    return sum(1 << TOPIC_BITS[t] for t in topics)


def to_arrays(profiles: Sequence[rule.Profile], ids: Sequence[int] | None = None) -> PlaceArrays:
    """One row per place, subscriber ids by position unless given."""
    rows = []
    for i, profile in enumerate(profiles):
        sid = i if ids is None else ids[i]
        mask, sev = mask_of(profile.topics), int(profile.min_severity)
        for place in profile.places:
            if isinstance(place, rule.PointPlace):
                rows.append((sid, place.x, place.y, place.radius_m, NO_DISTRICT, mask, sev))
            else:
                rows.append((sid, 0.0, 0.0, 0.0, place.district_id, mask, sev))
    return PlaceArrays.from_rows(rows)


def expected(
    target: rule.Target,
    profiles: Sequence[rule.Profile],
    districts: rule.Districts,
    ids: Sequence[int] | None = None,
) -> np.ndarray:
    """Subscriber ids that receive ``target`` according to the reference rule."""
    got = [
        (i if ids is None else ids[i])
        for i, p in enumerate(profiles)
        if rule.receives(target, p, districts)
    ]
    return np.array(sorted(got), dtype=np.int64)
