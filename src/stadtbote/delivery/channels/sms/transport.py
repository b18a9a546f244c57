"""The SMS channel: render each notice to its SMS budget, pick a provider by weight and health,
submit, and fall over to another provider when one fails as a whole.

Provider health (``failover.FailoverState``) lives in an injected ``HealthStore`` so that the
engine can keep it in Django's cache or database across batches and processes; this module
never touches either. A message is tried at most once per provider within one ``send()``; after
that the engine's retry with backoff takes over (``Outcome`` "retry").
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from ..base import Outcome, Outgoing
from .encoding import plan
from .failover import (
    FailoverPolicy,
    FailoverState,
    choose,
    record_receipt_delay,
    record_submit,
)
from .numbers import normalise_number
from .providers.base import Receipt, SmsOut, SmsProvider, SubmitResult
from .render import render_sms

logger = logging.getLogger(__name__)

_REMEMBERED_SUBMITS = 50_000  # for receipt delays; older receipts are simply not timed


class HealthStore(Protocol):
    def get(self) -> FailoverState: ...

    def put(self, state: FailoverState) -> None: ...


class MemoryHealthStore:
    """One process's memory; for tests and single-process use."""

    def __init__(self, state: FailoverState | None = None):
        self.state = state or FailoverState()

    def get(self) -> FailoverState:
        return self.state

    def put(self, state: FailoverState) -> None:
        self.state = state


@dataclass(frozen=True, slots=True)
class Accepted:
    """What the engine keeps to match receipts to a delivery."""

    delivery_id: int
    provider: str
    message_ids: tuple[str, ...]
    segments: int


@dataclass(slots=True)
class _Item:
    outgoing: Outgoing
    sms: SmsOut
    tried: list[str]


class SmsChannel:
    kind = "sms"

    def __init__(
        self,
        providers: Sequence[SmsProvider],
        *,
        weights: Mapping[str, float] | None = None,
        store: HealthStore | None = None,
        policy: FailoverPolicy | None = None,
        max_segments: int = 3,
        default_region: str = "DE",
        on_accepted: Callable[[Accepted], None] | None = None,
        rates: Mapping[str, float] | None = None,
        wait_for_turn: Callable[[str, int, float], float] | None = None,
        clock: Callable[[], float] = time.time,
    ):
        """``rates`` are the SMS per second a provider sells; ``wait_for_turn(name, count,
        rate)`` blocks until ``count`` more fit (the engine shares the count across workers)."""
        if not providers:
            raise ValueError("at least one SMS provider is needed")
        self._providers = {provider.name: provider for provider in providers}
        if len(self._providers) != len(providers):
            raise ValueError("SMS provider names must be unique")
        self._weights = {name: 1.0 for name in self._providers} | dict(weights or {})
        unknown = set(self._weights) - set(self._providers)
        if unknown:
            raise ValueError(f"weights for unknown providers: {sorted(unknown)}")
        self._store = store or MemoryHealthStore()
        self._policy = policy or FailoverPolicy()
        self._max_segments = max_segments
        self._region = default_region
        self._on_accepted = on_accepted
        self._rates = dict(rates or {})
        self._wait_for_turn = wait_for_turn
        self._clock = clock
        self._submitted: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._closed = False

    def send(self, items: Sequence[Outgoing]) -> list[Outcome]:
        if self._closed:
            raise RuntimeError("SmsChannel is closed")
        outcomes: dict[int, Outcome] = {}
        ready: list[_Item] = []
        for outgoing in items:
            try:
                ready.append(_Item(outgoing, self.message(outgoing), []))
            except ValueError as exc:
                outcomes[outgoing.delivery_id] = Outcome(outgoing.delivery_id, "failed", str(exc))

        state = self._store.get()
        events: list[tuple[str, bool, float]] = []
        groups: dict[str, list[_Item]] = {}
        for item in ready:
            state = self._assign(state, item, groups, outcomes, "")
        while groups:
            name, group = next(iter(groups.items()))
            del groups[name]
            results = self._submit(self._providers[name], [item.sms for item in group])
            now = self._clock()
            for item, result in zip(group, results, strict=True):
                item.tried.append(name)
                delivery_id = item.outgoing.delivery_id
                if result.accepted:
                    state = record_submit(state, name, True, now, self._policy)
                    events.append((name, True, now))
                    outcomes[delivery_id] = Outcome(delivery_id, "sent")
                    self._accepted(delivery_id, name, result, now)
                elif result.permanent:
                    outcomes[delivery_id] = Outcome(
                        delivery_id, "failed", f"{name}: {result.error}"
                    )
                else:
                    state = record_submit(state, name, False, now, self._policy)
                    events.append((name, False, now))
                    if result.provider_failure:
                        state = self._assign(
                            state, item, groups, outcomes, f"{name}: {result.error}", result
                        )
                    else:
                        outcomes[delivery_id] = Outcome(
                            delivery_id, "retry", f"{name}: {result.error}", result.retry_after
                        )
        self._store.put(self._merged(state, events))
        return [outcomes[outgoing.delivery_id] for outgoing in items]

    def _merged(self, ours: FailoverState, events: list[tuple[str, bool, float]]) -> FailoverState:
        """What other workers wrote during this send, plus this send's outcomes.

        A send can take minutes; writing back the state read at its start would undo a
        provider another worker took out meanwhile, and the receipt delays recorded since.
        """
        fresh = self._store.get()
        for name, ok, at in events:
            fresh = record_submit(fresh, name, ok, at, self._policy)
        for name, health in ours.providers.items():
            fresh.health(name).current = health.current  # the round-robin position
        return fresh

    def message(self, outgoing: Outgoing) -> SmsOut:
        """The SMS for one delivery (ValueError for a number or text that cannot be sent)."""
        notice = outgoing.notice
        try:
            to = normalise_number(outgoing.address, self._region)
        except ValueError as exc:
            raise ValueError(f"invalid number: {exc}") from None
        # A ready text (a confirmation code) is sent as it is; notices are fitted to the budget.
        text = outgoing.extra.get("text") or render_sms(
            tenant_name=notice.tenant_name,
            title=notice.title,
            body=notice.body,
            url=outgoing.extra.get("short_url") or notice.url,
            severity=notice.severity,
            kind=notice.kind,
            language=notice.language,
            max_segments=self._max_segments,
        )
        return SmsOut(reference=outgoing.key or str(outgoing.delivery_id), to=to, text=text)

    def collect_receipts(self) -> list[tuple[str, Receipt]]:
        """Receipts from every provider, tagged with its name. Final receipts of messages this
        channel submitted also time the provider (slow receipts take it out)."""
        now = self._clock()
        state = self._store.get()
        collected: list[tuple[str, Receipt]] = []
        for name, provider in self._providers.items():
            try:
                receipts = provider.receipts()
            except Exception:  # a provider's trouble must not cost the others' receipts
                logger.exception("%s: reading receipts failed", name)
                continue
            for receipt in receipts:
                collected.append((name, receipt))
                submitted_at = self._submitted.pop((name, receipt.message_id), None)
                if submitted_at is not None and receipt.final:
                    # Timed on our clock when the receipt is read: an SMSC's "done date" has
                    # minute precision and no time zone.
                    delay = now - submitted_at
                    state = record_receipt_delay(state, name, delay, now, self._policy)
        self._store.put(state)
        return collected

    def close(self) -> None:
        self._closed = True
        for provider in self._providers.values():
            try:
                provider.close()
            except Exception:
                logger.exception("%s: close failed", provider.name)

    def __enter__(self) -> SmsChannel:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _assign(
        self,
        state: FailoverState,
        item: _Item,
        groups: dict[str, list[_Item]],
        outcomes: dict[int, Outcome],
        last_error: str,
        last: SubmitResult | None = None,
    ) -> FailoverState:
        name, state = choose(state, self._weights, self._clock(), self._policy, item.tried)
        if name is None:
            delivery_id = item.outgoing.delivery_id
            retry_after = last.retry_after if last else None
            outcomes[delivery_id] = Outcome(delivery_id, "retry", last_error, retry_after)
        else:
            groups.setdefault(name, []).append(item)
        return state

    def _submit(self, provider: SmsProvider, messages: list[SmsOut]) -> list[SubmitResult]:
        rate = self._rates.get(provider.name)
        if rate is None or self._wait_for_turn is None:
            return self._submit_now(provider, messages)
        # One second's share at a time, so that all workers together keep to the rate. A
        # provider counts parts, not texts: a three-part SMS is three submissions.
        results: list[SubmitResult] = []
        part: list[SmsOut] = []
        parts = 0
        for message in [*messages, None]:
            size = plan(message.text).segments if message is not None else 0
            if part and (message is None or parts + size > rate):
                self._wait_for_turn(provider.name, parts, rate)
                results.extend(self._submit_now(provider, part))
                part, parts = [], 0
            if message is not None:
                part.append(message)
                parts += size
        return results

    def _submit_now(self, provider: SmsProvider, messages: list[SmsOut]) -> list[SubmitResult]:
        try:
            results = provider.submit(messages)
            if len(results) == len(messages):
                return results
            error = f"{len(results)} results for {len(messages)} messages"
        except Exception as exc:  # a provider's bug must not lose the batch's outcomes
            logger.exception("%s: submit failed", provider.name)
            error = f"unexpected {type(exc).__name__}: {exc}"
        return [
            SubmitResult(m.reference, error=error[:200], provider_failure=True) for m in messages
        ]

    def _accepted(self, delivery_id: int, name: str, result: SubmitResult, now: float) -> None:
        for message_id in result.message_ids:
            self._submitted[(name, message_id)] = now
        while len(self._submitted) > _REMEMBERED_SUBMITS:
            self._submitted.popitem(last=False)
        if self._on_accepted is not None:
            self._on_accepted(Accepted(delivery_id, name, result.message_ids, result.segments))
