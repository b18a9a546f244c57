"""The contract every delivery channel implements (one folder per channel).

A channel turns prepared ``Outgoing`` items into ``Outcome``s. The engine owns the database:
channels never touch models, so they are tested against real protocol peers without Django.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

OutcomeStatus = Literal["sent", "retry", "failed", "gone"]


class TransportError(Exception):
    """A send attempt failed. ``permanent`` errors are never retried."""

    def __init__(self, reason: str, *, permanent: bool = False, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Notice:
    """What a recipient sees, already in the recipient's language."""

    message_id: str
    kind: Literal["message", "withdrawal", "update", "case"]
    title: str
    body: str
    severity: str
    url: str
    language: str
    tenant: str
    tenant_name: str
    expires_at: str | None = None
    sent_at: str | None = None
    # An update: the id of the message it replaces (its notification is replaced in place).
    replaces: str | None = None
    # An update: the severity of the message it replaces. The service worker replaces the
    # notification quietly only when the danger did not grow; a raised warning must alert.
    previous_severity: str | None = None


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One delivery attempt to one channel address."""

    delivery_id: int
    address: str
    notice: Notice
    # Channel-specific material, e.g. {"p256dh": ..., "auth": ...} for Web Push or
    # {"unsubscribe_url": ...} for e-mail.
    extra: dict[str, str] = field(default_factory=dict)
    # Idempotency key of the delivery (message x channel address); channels pass it on where the
    # protocol has a place for it (Web Push ``Topic``, e-mail ``Message-ID``).
    key: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    delivery_id: int
    status: OutcomeStatus
    reason: str = ""
    retry_after: float | None = None  # seconds, as the remote side asked (Retry-After)


# Push payloads carry a per-recipient receipt the device posts back ("received"), so the time
# from publishing to the device is known. Payloads are built once per notice with RECEIPT_SLOT
# in the receipt's place and the slot is filled per recipient: same length, so a payload that
# fit still fits.
RECEIPT_LENGTH = 38
RECEIPT_SLOT = "#" * RECEIPT_LENGTH
_SLOT_BYTES = f'"{RECEIPT_SLOT}"'.encode("ascii")


def fill_receipt(payload: bytes, receipt: str) -> bytes:
    """The payload with this recipient's receipt in the slot (a JSON string of its own, so text
    that merely contains #s, escaped inside another string, never matches)."""
    if len(receipt) != RECEIPT_LENGTH or not receipt.isascii():
        raise ValueError("a receipt is 38 ASCII characters")
    return payload.replace(_SLOT_BYTES, f'"{receipt}"'.encode("ascii"), 1)


class Channel(Protocol):
    """A delivery channel: open once per batch, then send many."""

    kind: str

    def send(self, items: Sequence[Outgoing]) -> list[Outcome]:
        """Send every item, returning exactly one outcome per item (any order)."""
        ...

    def close(self) -> None:
        """Release connections held for the batch."""
        ...
