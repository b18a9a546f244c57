"""Fixed-window rate limits in the shared cache (so they hold across processes and machines)."""

from __future__ import annotations

import time

from django.core.cache import cache


def allow(scope: str, ident: str, limit: int, window_s: int) -> bool:
    """Count one hit for ``ident`` in ``scope``; False once ``limit`` hits fall in one window."""
    key = _key(scope, ident, window_s)
    if cache.add(key, 1, timeout=window_s + 5):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window_s + 5)
        return True
    return count <= limit


def _key(scope: str, ident: str, window_s: int) -> str:
    return f"rl:{scope}:{ident}:{int(time.time() // window_s)}"


def exhausted(scope: str, ident: str, limit: int, window_s: int) -> bool:
    """Whether ``limit`` hits were counted in the current window, without counting one.

    For limits on failures (wrong passwords): check first, count only what failed.
    """
    return int(cache.get(_key(scope, ident, window_s)) or 0) >= limit
