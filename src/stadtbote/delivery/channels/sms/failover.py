"""Which provider sends the next SMS: configured weights, corrected by health (pure).

Like GOV.UK Notify, a provider that errors or whose delivery receipts come slowly is switched
away from and brought back step by step:

- error rate over its last ``window`` submits above ``max_error_rate`` (with at least
  ``min_samples``), or the median of its last receipt delays above ``max_receipt_delay``:
  out (weight 0) for ``cooldown`` seconds, its history forgotten;
- after the cooldown it ramps up from ``recovery_factor`` of its weight to the full weight over
  ``recovery`` seconds; new errors in that time take it out again.

The choice among the weights is nginx's smooth weighted round-robin: deterministic, evenly
interleaved (weights 3:1 give a a b a, a a b a, ...), no random numbers. The state is a plain
value (``to_dict``/``from_dict`` give JSON) that the engine keeps in the cache or database; every
function takes ``now`` and returns a new state.
"""

from __future__ import annotations

import copy
import statistics
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class FailoverPolicy:
    window: int = 20
    min_samples: int = 5
    max_error_rate: float = 0.5
    receipt_window: int = 10
    min_receipts: int = 3
    max_receipt_delay: float = 600.0  # median seconds from submit to final receipt
    cooldown: float = 300.0
    recovery: float = 900.0
    recovery_factor: float = 0.25


@dataclass(slots=True)
class ProviderHealth:
    outcomes: list[int] = field(default_factory=list)  # 1 accepted, 0 error; oldest first
    delays: list[float] = field(default_factory=list)
    out_until: float | None = None
    reason: str = ""  # why it was last taken out
    current: float = 0.0  # smooth weighted round-robin's running weight


@dataclass(slots=True)
class FailoverState:
    providers: dict[str, ProviderHealth] = field(default_factory=dict)

    def health(self, name: str) -> ProviderHealth:
        return self.providers.setdefault(name, ProviderHealth())

    def to_dict(self) -> dict[str, Any]:
        return {"providers": {name: asdict(h) for name, h in self.providers.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> FailoverState:
        providers = (data or {}).get("providers", {})
        return cls({name: ProviderHealth(**values) for name, values in providers.items()})


def effective_weight(
    health: ProviderHealth, weight: float, now: float, policy: FailoverPolicy
) -> float:
    if health.out_until is None:
        return weight
    if now < health.out_until:
        return 0.0
    ramp = (now - health.out_until) / policy.recovery if policy.recovery > 0 else 1.0
    if ramp >= 1.0:
        return weight
    return weight * (policy.recovery_factor + (1.0 - policy.recovery_factor) * ramp)


def effective_weights(
    state: FailoverState,
    weights: Mapping[str, float],
    now: float,
    policy: FailoverPolicy = FailoverPolicy(),
) -> dict[str, float]:
    return {
        name: effective_weight(state.providers.get(name, ProviderHealth()), w, now, policy)
        for name, w in weights.items()
    }


def choose(
    state: FailoverState,
    weights: Mapping[str, float],
    now: float,
    policy: FailoverPolicy = FailoverPolicy(),
    exclude: Collection[str] = (),
) -> tuple[str | None, FailoverState]:
    """The provider for the next message, and the state after choosing it.

    When every candidate is out, the one whose cooldown ends first is used anyway: a warning
    sent through a struggling provider beats one not sent. None only when all are excluded.
    """
    state = copy.deepcopy(state)
    candidates = [name for name in sorted(weights) if name not in exclude and weights[name] > 0]
    if not candidates:
        return None, state
    weights_now = effective_weights(state, weights, now, policy)
    live = {name: weights_now[name] for name in candidates if weights_now[name] > 0}
    if not live:
        soonest = min(candidates, key=lambda n: (state.health(n).out_until or 0.0, n))
        return soonest, state
    total = sum(live.values())
    for name, weight in live.items():
        state.health(name).current += weight
    chosen = max(live, key=lambda n: (state.health(n).current, -candidates.index(n)))
    state.health(chosen).current -= total
    return chosen, state


def _take_out(health: ProviderHealth, now: float, reason: str, policy: FailoverPolicy) -> None:
    health.out_until = now + policy.cooldown
    health.reason = reason
    health.outcomes.clear()
    health.delays.clear()
    health.current = 0.0


def is_out(state: FailoverState, name: str, now: float) -> bool:
    out_until = state.providers.get(name, ProviderHealth()).out_until
    return out_until is not None and now < out_until


def record_submit(
    state: FailoverState,
    name: str,
    ok: bool,
    now: float,
    policy: FailoverPolicy = FailoverPolicy(),
) -> FailoverState:
    """Count one submit: accepted, or failed for the provider's sake (not a message that was
    wrong, e.g. an invalid number: that says nothing about the provider)."""
    state = copy.deepcopy(state)
    health = state.health(name)
    if is_out(state, name, now):
        return state  # a late result from before it was taken out
    health.outcomes = [*health.outcomes, int(ok)][-policy.window :]
    errors = health.outcomes.count(0)
    if len(health.outcomes) >= policy.min_samples:
        rate = errors / len(health.outcomes)
        if rate > policy.max_error_rate:
            _take_out(health, now, f"error rate {rate:.0%} over {len(health.outcomes)}", policy)
    return state


def record_receipt_delay(
    state: FailoverState,
    name: str,
    delay: float,
    now: float,
    policy: FailoverPolicy = FailoverPolicy(),
) -> FailoverState:
    state = copy.deepcopy(state)
    health = state.health(name)
    if is_out(state, name, now):
        return state
    health.delays = [*health.delays, max(0.0, delay)][-policy.receipt_window :]
    if len(health.delays) >= policy.min_receipts:
        median = statistics.median(health.delays)
        if median > policy.max_receipt_delay:
            _take_out(health, now, f"median receipt delay {median:.0f}s", policy)
    return state
