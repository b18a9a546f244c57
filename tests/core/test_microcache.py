"""The per-process micro cache: values live for a moment, the oldest go first."""

from __future__ import annotations

from stadtbote.core.microcache import MicroCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_value_is_served_until_its_time_is_up():
    clock = Clock()
    cache: MicroCache[str] = MicroCache(ttl_s=2.0, clock=clock)
    cache.put("a", "page")
    clock.now += 1.9
    assert cache.get("a") == "page"
    clock.now += 0.2
    assert cache.get("a") is None


def test_a_caller_may_ask_for_fresher_values_and_zero_means_never_cached():
    clock = Clock()
    cache: MicroCache[str] = MicroCache(ttl_s=2.0, clock=clock)
    cache.put("a", "page")
    clock.now += 0.5
    assert cache.get("a", ttl_s=0.4) is None
    cache.put("a", "page")
    assert cache.get("a", ttl_s=0) is None


def test_the_least_recently_used_entry_leaves_first_when_full():
    cache: MicroCache[int] = MicroCache(ttl_s=10, size=2, clock=Clock())
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "b" is now the oldest
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
