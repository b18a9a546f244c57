"""Numbers a town can publish about its promise (pure): per category and month, the share of
reports answered within their first-answer deadline and how long answers and fixes took."""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo


@dataclass(frozen=True)
class CaseTimes:
    category: str
    created_at: datetime
    first_response_due: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class Row:
    month: str  # "2026-11", in the town's time zone
    category: str
    reports: int
    in_time: int
    late: int
    pending: int  # not answered yet, deadline not passed: not counted either way
    share_in_time: float | None
    first_answer_median_h: float | None
    first_answer_p90_h: float | None
    resolution_median_h: float | None
    resolution_p90_h: float | None


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (what the town can explain: "9 of 10 within …")."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _hours(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600


def table(cases: Iterable[CaseTimes], now: datetime, tz: tzinfo) -> list[Row]:
    groups: dict[tuple[str, str], list[CaseTimes]] = defaultdict(list)
    for c in cases:
        month = c.created_at.astimezone(tz).strftime("%Y-%m")
        groups[(month, c.category)].append(c)
        groups[(month, "*")].append(c)
    rows = []
    for (month, category), items in sorted(groups.items()):
        in_time = sum(
            1 for c in items if c.first_response_at and c.first_response_at <= c.first_response_due
        )
        late = sum(
            1
            for c in items
            if (c.first_response_at and c.first_response_at > c.first_response_due)
            or (c.first_response_at is None and now > c.first_response_due)
        )
        answered = [_hours(c.created_at, c.first_response_at) for c in items if c.first_response_at]
        resolved = [_hours(c.created_at, c.resolved_at) for c in items if c.resolved_at]
        rows.append(
            Row(
                month=month,
                category=category,
                reports=len(items),
                in_time=in_time,
                late=late,
                pending=len(items) - in_time - late,
                share_in_time=in_time / (in_time + late) if in_time + late else None,
                first_answer_median_h=_round(median(answered)),
                first_answer_p90_h=_round(percentile(answered, 90)),
                resolution_median_h=_round(median(resolved)),
                resolution_p90_h=_round(percentile(resolved, 90)),
            )
        )
    return rows


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


FIELDS = list(Row.__dataclass_fields__)


def to_csv(rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    for row in rows:
        writer.writerow(["" if getattr(row, f) is None else getattr(row, f) for f in FIELDS])
    return out.getvalue()
