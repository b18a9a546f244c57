"""Classify APNs responses (``{"reason": ...}`` bodies) into channel outcomes."""

from __future__ import annotations

import json
from datetime import datetime

from ..base import Outcome

# One reading of Retry-After for every channel (delta-seconds or HTTP-date, capped).
from ..webpush.responses import MAX_RETRY_AFTER, parse_retry_after

# The device token is dead for this app: prune the address.
GONE_REASONS = frozenset({"BadDeviceToken", "DeviceTokenNotForTopic", "Unregistered"})
EXPIRED_TOKEN = "ExpiredProviderToken"  # noqa: S105 (an APNs reason, not a secret)


def reason_of(body: bytes) -> str:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        doc = None
    if isinstance(doc, dict) and isinstance(doc.get("reason"), str):
        return doc["reason"][:80]
    return " ".join(body[:120].decode("utf-8", errors="replace").split())


def classify(
    delivery_id: int,
    status: int,
    body: bytes,
    retry_after: str | None,
    now: datetime,
    cap: float = MAX_RETRY_AFTER,
) -> Outcome:
    if status == 200:
        return Outcome(delivery_id, "sent")
    reason = reason_of(body)
    text = f"HTTP {status}: {reason}" if reason else f"HTTP {status}"
    if status == 410 or (status == 400 and reason in GONE_REASONS):
        return Outcome(delivery_id, "gone", text)
    if status == 429 or status >= 500:
        return Outcome(delivery_id, "retry", text, parse_retry_after(retry_after, now, cap))
    if status == 403 and reason == EXPIRED_TOKEN:
        # Reached only when a fresh token was refused too: the clock or the key is off.
        return Outcome(delivery_id, "retry", text)
    return Outcome(delivery_id, "failed", text)
