"""Public holidays of a German Land, from the maintained ``holidays`` library."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import lru_cache

import holidays

# ISO 3166-2:DE codes of the Länder, as the library names its subdivisions.
LAENDER = (
    "BB", "BE", "BW", "BY", "HB", "HE", "HH", "MV", "NI", "NW", "RP", "SH", "SL", "SN", "ST", "TH",
)  # fmt: skip


@lru_cache(maxsize=64)
def _year(land: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("DE", subdiv=land, years=year).keys())


def for_land(land: str) -> Callable[[date], bool]:
    """``is_holiday(day)`` for the Land (e.g. "NW" for North Rhine-Westphalia)."""
    if land not in LAENDER:
        raise ValueError(f"unknown Land {land!r}; use one of {', '.join(LAENDER)}")

    def is_holiday(day: date) -> bool:
        return day in _year(land, day.year)

    return is_holiday
