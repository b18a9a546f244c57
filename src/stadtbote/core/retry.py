"""Retry policy as data and a pure backoff function (tested without any clock or network)."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base_delay: float  # seconds before the 2nd attempt, before jitter
    max_delay: float

    def delay(
        self, attempt: int, retry_after: float | None = None, rng: random.Random | None = None
    ) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based).

        Exponential backoff with "equal jitter" (half fixed, half random) so a burst of failures
        does not come back as a synchronised burst. A server's Retry-After is a floor, never
        shortened, but still capped by ``max_delay`` so one hostile header cannot park a
        delivery for days.
        """
        rng = rng or random.Random()
        exp = min(self.max_delay, self.base_delay * (2 ** max(0, attempt - 1)))
        wait = exp / 2 + rng.uniform(0, exp / 2)
        if retry_after is not None:
            wait = max(wait, retry_after)
        return min(wait, self.max_delay)

    def exhausted(self, attempt: int) -> bool:
        return attempt >= self.max_attempts
