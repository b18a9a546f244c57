"""The interface every SMS provider implements, and the values that cross it.

A provider only transports: it gets finished texts and numbers, reports per message what the
provider said, and hands over the delivery receipts it has received. Choosing a provider,
falling over and turning results into ``Outcome``s is ``transport.py``'s job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

ReceiptStatus = Literal[
    "delivered", "failed", "expired", "rejected", "buffered", "accepted", "unknown"
]
# Final states end a message's life at the SMSC; the others may still change.
FINAL_STATUSES = frozenset({"delivered", "failed", "expired", "rejected"})


@dataclass(frozen=True, slots=True)
class SmsOut:
    """One message to one number, already rendered and fitted (see ``render.py``)."""

    reference: str  # ours: the delivery's idempotency key, to match results to items
    to: str  # E.164 with "+", see ``numbers.normalise_number``
    text: str


@dataclass(frozen=True, slots=True)
class SubmitResult:
    reference: str
    # Accepted: the provider's ids, one per segment for SMPP with UDH concatenation (each
    # segment gets its own receipt), one for message_payload or the HTTP gateway.
    message_ids: tuple[str, ...] = ()
    error: str = ""
    permanent: bool = False
    # The provider as a whole failed (connection, bind, authentication, overload): another
    # provider may well succeed with the same message, and failover should count it.
    provider_failure: bool = False
    retry_after: float | None = None
    segments: int = 1

    @property
    def accepted(self) -> bool:
        return not self.error

    @property
    def message_id(self) -> str:
        return self.message_ids[0] if self.message_ids else ""


@dataclass(frozen=True, slots=True)
class Receipt:
    message_id: str
    status: ReceiptStatus
    at: float | None = None  # unix time the SMSC reports (done date), if it does
    error: str = ""  # the network's error code, if any
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES


def accepted(reference: str, *message_ids: str, segments: int = 1) -> SubmitResult:
    return SubmitResult(reference, message_ids=tuple(message_ids), segments=segments)


def failed(
    reference: str,
    error: str,
    *,
    permanent: bool = False,
    provider_failure: bool = False,
    retry_after: float | None = None,
) -> SubmitResult:
    return SubmitResult(
        reference,
        error=error[:200],
        permanent=permanent,
        provider_failure=provider_failure,
        retry_after=retry_after,
    )


class SmsProvider(Protocol):
    name: str

    def submit(self, messages: Sequence[SmsOut]) -> list[SubmitResult]:
        """One result per message, in the order given. Never raises for a transport problem."""
        ...

    def receipts(self) -> list[Receipt]:
        """Delivery receipts received since the last call."""
        ...

    def close(self) -> None: ...
