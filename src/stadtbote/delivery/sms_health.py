"""SMS provider health kept in Django's cache, shared by every worker of a town.

Two workers may write at the same moment and one update is lost: health is a hint that the next
submit refreshes, so that is cheaper than a lock around every SMS batch.
"""

from __future__ import annotations

from django.core.cache import cache

from stadtbote.delivery.channels.sms.failover import FailoverState

KEEP_SECONDS = 7 * 86400


class CacheHealthStore:
    def __init__(self, key: str):
        self.key = key

    def get(self) -> FailoverState:
        stored = cache.get(self.key)
        if not isinstance(stored, dict):
            return FailoverState()
        try:
            return FailoverState.from_dict(stored)
        except (KeyError, TypeError, ValueError):  # written by an older release
            return FailoverState()

    def put(self, state: FailoverState) -> None:
        cache.set(self.key, state.to_dict(), timeout=KEEP_SECONDS)
