"""The send rate all workers share per provider (one-second windows in the cache)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from stadtbote.delivery.throttle import MAX_WAIT, wait_for_turn
from tests.delivery.channels.native_push import Clock


@pytest.fixture(autouse=True)
def _empty_cache(db):
    cache.clear()


def test_sends_within_the_rate_go_at_once_and_the_rest_waits_for_the_next_second():
    clock = Clock(1000.25)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(seconds)

    first = wait_for_turn("smsc", 30, 50, clock=clock, sleep=sleep)
    second = wait_for_turn("smsc", 20, 50, clock=clock, sleep=sleep)
    third = wait_for_turn("smsc", 10, 50, clock=clock, sleep=sleep)

    assert (first, second) == (0.0, 0.0)
    assert third == pytest.approx(0.75)
    assert clock.now == pytest.approx(1001.0)


def test_another_worker_counts_against_the_same_provider_but_not_another():
    clock = Clock(2000.0)

    wait_for_turn("smsc", 50, 50, clock=clock, sleep=clock.advance)
    other_provider = wait_for_turn("gateway", 50, 50, clock=clock, sleep=clock.advance)
    same_provider = wait_for_turn("smsc", 1, 50, clock=clock, sleep=clock.advance)

    assert other_provider == 0.0
    assert same_provider == pytest.approx(1.0)


def test_a_slice_larger_than_the_rate_goes_alone_rather_than_forever_never():
    clock = Clock(3000.0)

    assert wait_for_turn("smsc", 500, 50, clock=clock, sleep=clock.advance) == 0.0


def test_waiting_is_bounded_so_a_stuck_count_cannot_stop_warnings():
    clock = Clock(4000.0)
    cache.set("throttle:smsc:4000", 10_000, timeout=None)

    def stuck(seconds: float) -> None:
        clock.advance(seconds)
        cache.set(f"throttle:smsc:{int(clock.now)}", 10_000, timeout=None)

    waited = wait_for_turn("smsc", 1, 50, clock=clock, sleep=stuck)

    assert MAX_WAIT <= waited < MAX_WAIT + 1
