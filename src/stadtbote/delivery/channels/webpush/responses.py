"""Pure classification of push-service responses into channel outcomes (RFC 8030 section 5).

The split that matters to the engine: ``gone`` removes the subscription, ``retry`` comes back
later (honouring ``Retry-After``), ``failed`` is permanent for this message.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from ..base import Outcome

MAX_RETRY_AFTER = 3600.0  # A push service asking for more is broken; don't park a warning for days.
SNIPPET_LENGTH = 120


def parse_retry_after(
    value: str | None, now: datetime, cap: float = MAX_RETRY_AFTER
) -> float | None:
    """Seconds from ``Retry-After`` (delta-seconds or HTTP-date), clamped to ``[0, cap]``."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), cap)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return max(0.0, min(cap, (when - now).total_seconds()))


def snippet(body: bytes, limit: int = SNIPPET_LENGTH) -> str:
    """One line of the response body for the delivery log; push services explain 4xx there."""
    text = " ".join(body.decode("utf-8", errors="replace").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def classify_response(
    delivery_id: int,
    status: int,
    body: bytes,
    retry_after: str | None,
    now: datetime,
    cap: float = MAX_RETRY_AFTER,
) -> Outcome:
    detail = snippet(body)
    reason = f"HTTP {status}: {detail}" if detail else f"HTTP {status}"
    if 200 <= status < 300:
        # RFC 8030 says 201; any 2xx means the service took the message, so never resend it.
        return Outcome(delivery_id, "sent")
    if status in (404, 410):
        return Outcome(delivery_id, "gone", reason)
    if status == 429 or status >= 500:
        return Outcome(delivery_id, "retry", reason, parse_retry_after(retry_after, now, cap))
    if 300 <= status < 400:
        # Redirects are not followed: the allow-list vetted the endpoint, not where it points.
        return Outcome(delivery_id, "failed", f"HTTP {status}: redirect not followed")
    if status == 413:
        return Outcome(
            delivery_id, "failed", reason.replace("HTTP 413", "HTTP 413 payload too large")
        )
    return Outcome(delivery_id, "failed", reason)
