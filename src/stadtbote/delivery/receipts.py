"""Push receipts: the device says "received", so staff see how long publishing-to-device took
and a warning whose push never arrived can fall back to SMS.

Each push carries a receipt made for its delivery row: the row id and a MAC over it, so receipts
cannot be forged or guessed and need no lookup table. A receipt only sets ``received_at`` once;
repeating it (a retried POST, a replayed push) changes nothing.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import datetime

from django.utils.crypto import constant_time_compare, salted_hmac

from stadtbote.delivery.channels.base import RECEIPT_LENGTH
from stadtbote.delivery.models import Delivery
from stadtbote.tenants.models import Municipality

_SALT = "stadtbote.delivery.receipt"
_ID_DIGITS = 16  # hex: every BigAutoField value fits
_MAC_CHARS = RECEIPT_LENGTH - _ID_DIGITS  # 22 base64url characters, 132 bits


def _mac(delivery_id: int) -> str:
    digest = salted_hmac(_SALT, str(delivery_id), algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:_MAC_CHARS]


def mint(delivery_id: int) -> str:
    return f"{delivery_id:0{_ID_DIGITS}x}{_mac(delivery_id)}"


def parse(receipt: str) -> int | None:
    """The delivery id a receipt stands for, or None if it is not one we made."""
    if len(receipt) != RECEIPT_LENGTH or not receipt.isascii():
        return None
    try:
        delivery_id = int(receipt[:_ID_DIGITS], 16)
    except ValueError:
        return None
    if not constant_time_compare(receipt[_ID_DIGITS:], _mac(delivery_id)):
        return None
    return delivery_id


def record(tenant: Municipality, delivery_ids: Iterable[int], at: datetime) -> int:
    """Mark these deliveries of ``tenant`` received (first receipt wins); returns how many."""
    return Delivery.objects.filter(
        pk__in=list(delivery_ids), message__tenant=tenant, received_at__isnull=True
    ).update(received_at=at)
