"""Weighted provider choice with health (pure, no database)."""

from __future__ import annotations

import json

from stadtbote.delivery.channels.sms.failover import (
    FailoverPolicy,
    FailoverState,
    choose,
    effective_weights,
    record_receipt_delay,
    record_submit,
)

POLICY = FailoverPolicy(
    window=10, min_samples=4, max_error_rate=0.5, min_receipts=3, max_receipt_delay=60.0,
    cooldown=300.0, recovery=600.0, recovery_factor=0.25,
)  # fmt: skip
WEIGHTS = {"a": 3.0, "b": 1.0}
T0 = 1_800_000_000.0


def picks(state: FailoverState, n: int, now: float = T0, **kw: object) -> list[str | None]:
    chosen = []
    for _ in range(n):
        name, state = choose(state, WEIGHTS, now, POLICY, **kw)  # type: ignore[arg-type]
        chosen.append(name)
    return chosen


def failing(name: str, times: int, now: float = T0) -> FailoverState:
    state = FailoverState()
    for _ in range(times):
        state = record_submit(state, name, False, now, POLICY)
    return state


def test_weights_3_to_1_interleave_smoothly_and_deterministically() -> None:
    assert picks(FailoverState(), 8) == ["a", "a", "b", "a", "a", "a", "b", "a"]


def test_a_provider_with_weight_zero_is_never_chosen() -> None:
    name, _ = choose(FailoverState(), {"a": 0.0, "b": 1.0}, T0, POLICY)
    assert name == "b"


def test_an_excluded_provider_is_skipped_and_none_is_left_when_all_are() -> None:
    assert set(picks(FailoverState(), 4, exclude={"a"})) == {"b"}
    assert picks(FailoverState(), 1, exclude={"a", "b"}) == [None]


def test_a_provider_erring_more_than_the_limit_is_taken_out_for_the_cooldown() -> None:
    state = failing("a", 4)

    assert state.providers["a"].out_until == T0 + 300
    assert state.providers["a"].reason == "error rate 100% over 4"
    assert set(picks(state, 5, T0 + 299)) == {"b"}


def test_errors_below_the_limit_keep_a_provider_in() -> None:
    state = FailoverState()
    for ok in (True, False, True, False, True, True):
        state = record_submit(state, "a", ok, T0, POLICY)
    assert state.providers["a"].out_until is None


def test_too_few_samples_never_take_a_provider_out() -> None:
    assert failing("a", 3).providers["a"].out_until is None


def test_after_the_cooldown_a_provider_comes_back_at_reduced_weight_then_full() -> None:
    state = failing("a", 4)

    assert effective_weights(state, WEIGHTS, T0 + 300, POLICY) == {"a": 0.75, "b": 1.0}
    assert effective_weights(state, WEIGHTS, T0 + 600, POLICY) == {"a": 1.875, "b": 1.0}
    assert effective_weights(state, WEIGHTS, T0 + 900, POLICY) == {"a": 3.0, "b": 1.0}
    assert picks(state, 4, T0 + 900).count("a") == 3


def test_slow_receipts_take_a_provider_out_like_errors() -> None:
    state = FailoverState()
    for delay in (30.0, 90.0, 120.0):
        state = record_receipt_delay(state, "b", delay, T0, POLICY)

    assert state.providers["b"].out_until == T0 + 300
    assert state.providers["b"].reason == "median receipt delay 90s"
    assert set(picks(state, 4)) == {"a"}


def test_fast_receipts_keep_a_provider_in() -> None:
    state = FailoverState()
    for delay in (5.0, 200.0, 8.0, 9.0):
        state = record_receipt_delay(state, "b", delay, T0, POLICY)
    assert state.providers["b"].out_until is None


def test_when_every_provider_is_out_the_one_back_soonest_is_used_anyway() -> None:
    state = failing("a", 4, T0)
    for _ in range(4):
        state = record_submit(state, "b", False, T0 + 10, POLICY)
    assert picks(state, 2, T0 + 20) == ["a", "a"]


def test_the_state_survives_a_round_trip_through_json() -> None:
    _, state = choose(failing("a", 4), WEIGHTS, T0 + 400, POLICY)

    again = FailoverState.from_dict(json.loads(json.dumps(state.to_dict())))

    assert again == state
    assert FailoverState.from_dict(None) == FailoverState()


def test_choosing_does_not_change_the_state_it_was_given() -> None:
    state = FailoverState()
    choose(state, WEIGHTS, T0, POLICY)
    assert state == FailoverState()
