"""Fixed-window rate limits in the shared cache (so they hold across processes and machines)."""

from __future__ import annotations

import time

from django.core.cache import cache


def allow(scope: str, ident: str, limit: int, window_s: int) -> bool:
    """Count one hit for ``ident`` in ``scope``; False once ``limit`` hits fall in one window."""
    bucket = int(time.time() // window_s)
    key = f"rl:{scope}:{ident}:{bucket}"
    if cache.add(key, 1, timeout=window_s + 5):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window_s + 5)
        return True
    return count <= limit
