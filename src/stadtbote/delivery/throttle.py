"""A send rate shared by every worker: at most ``per_second`` per provider, whichever worker
sends.

SMS providers sell a throughput (say 50 SMS/s per account) and answer anything above it with
"throttled" errors; two workers each obeying the limit on their own connection would exceed it
together. The count lives in Django's cache in one-second windows. The database cache counts
without a lock between processes, so a limit may be overshot by a few in a busy second; the
provider's own throttling answers (retried with backoff) cover that rest.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.core.cache import cache

# A batch never waits longer than this in all for its turn; after that it sends anyway and the
# provider's own throttling decides (a stuck cache must not stop warnings).
MAX_WAIT = 30.0


def wait_for_turn(
    key: str,
    count: int,
    per_second: float,
    *,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> float:
    """Block until ``count`` more sends fit into this second's share; returns seconds waited."""
    waited = 0.0
    while True:
        now = clock()
        window = int(now)
        slot = f"throttle:{key}:{window}"
        cache.add(slot, 0, timeout=5)
        try:
            used = cache.incr(slot, count)
        except ValueError:  # the window expired between add and incr
            cache.add(slot, count, timeout=5)
            used = count
        if used <= per_second or used == count or waited >= MAX_WAIT:
            # The first sender of a window always goes: a slice larger than the limit must not
            # wait forever.
            return waited
        pause = window + 1 - now
        sleep(pause)
        waited += pause
