"""Answers kept for a moment in the process: under a warning storm thousands ask for the same
message within seconds, and one database round trip per second is plenty."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock
from typing import Generic, TypeVar

V = TypeVar("V")


class MicroCache(Generic[V]):
    """A small LRU whose entries expire ``ttl_s`` seconds after they were stored.

    Per process, so each gunicorn worker may be up to ``ttl_s`` behind a change; callers pick
    a ttl that is short next to their ``Cache-Control: max-age``.
    """

    def __init__(self, ttl_s: float, size: int = 256, clock: Callable[[], float] = time.monotonic):
        self.ttl_s = ttl_s
        self.size = size
        self._clock = clock
        self._items: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._lock = Lock()

    def get(self, key: Hashable, ttl_s: float | None = None) -> V | None:
        """The value if stored less than ``ttl_s`` (default: the cache's ttl) seconds ago."""
        limit = self.ttl_s if ttl_s is None else ttl_s
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            stored, value = item
            if self._clock() - stored >= limit:
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._items[key] = (self._clock(), value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
