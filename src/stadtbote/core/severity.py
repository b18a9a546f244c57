"""Message severity: CAP 1.2 levels plus ``info`` for plain news.

Ranks grow with urgency so that "at or above the threshold" is ``rank(msg) >= rank(threshold)``.
"""

from __future__ import annotations

from enum import IntEnum


class Severity(IntEnum):
    INFO = 0
    MINOR = 1
    MODERATE = 2
    SEVERE = 3
    EXTREME = 4

    @classmethod
    def parse(cls, value: str) -> Severity:
        try:
            return cls[value.upper()]
        except KeyError:
            raise ValueError(f"unknown severity {value!r}; use one of {', '.join(NAMES)}") from None

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def passes_quiet_hours(self) -> bool:
        """Severe and extreme warnings are never held back by quiet hours."""
        return self >= Severity.SEVERE


NAMES = tuple(s.name.lower() for s in Severity)
DEFAULT_THRESHOLD = Severity.MODERATE
