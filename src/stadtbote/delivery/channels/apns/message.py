"""What one APNs request carries: the ``apns-*`` headers and the JSON payload (pure functions).

Decisions (ADR 0019):
- ``apns-priority`` 10 (deliver now) for everything but ``info``, which gets 5 (Apple may
  hold it for power reasons); a municipal message people should see today is not background.
- ``interruption-level``: ``time-sensitive`` (breaks through Focus) for severe, and for extreme
  unless the app holds Apple's critical-alert entitlement (``critical_alerts=True``), then
  ``critical`` with a critical sound; ``active`` otherwise. An update whose danger did not grow
  replaces its notification quietly (``passive``, no sound), like the service worker does.
- ``apns-collapse-id``: the replaced message's id for updates, else the message id, so a
  withdrawal or update replaces the notification on the device. Ids over 64 bytes are hashed.
- ``apns-expiration``: ``expires_at`` as UNIX seconds (0 once passed: try once, do not store);
  28 days ahead without one, as Web Push's longest TTL.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from stadtbote.core.severity import Severity

from ..base import RECEIPT_SLOT, Notice

MAX_PAYLOAD = 4096  # Apple's limit for alert notifications, in bytes.
MAX_COLLAPSE_ID = 64
DEFAULT_EXPIRATION = 28 * 86400
_ELLIPSIS = "…"
# Apple's device tokens are 32 bytes today; Apple says they may grow, so any even-length hex up to
# 200 bytes is accepted.
_DEVICE_TOKEN = re.compile(r"[0-9a-fA-F]{16,400}")


class PayloadTooLarge(ValueError):
    pass


def device_token_problem(token: str) -> str | None:
    """Why ``token`` can never be an APNs device token, or None if it might be one."""
    if not _DEVICE_TOKEN.fullmatch(token) or len(token) % 2:
        return "a device token is an even number of hex digits (16 to 400)"
    return None


def _severity(notice: Notice) -> Severity | None:
    try:
        return Severity.parse(notice.severity)
    except ValueError:
        return None


def priority(notice: Notice) -> int:
    return 5 if _severity(notice) == Severity.INFO else 10


def quiet_update(notice: Notice) -> bool:
    """An update whose danger did not grow: replace the notification without alerting."""
    if notice.kind != "update" or not notice.previous_severity:
        return False
    try:
        before = Severity.parse(notice.previous_severity)
    except ValueError:
        return False
    now = _severity(notice)
    return now is not None and now <= before


def interruption_level(notice: Notice, critical_alerts: bool) -> str:
    if quiet_update(notice):
        return "passive"
    level = _severity(notice)
    if level == Severity.EXTREME and critical_alerts:
        return "critical"
    if level is not None and level >= Severity.SEVERE:
        return "time-sensitive"
    return "active"


def collapse_id(notice: Notice) -> str:
    value = notice.replaces or notice.message_id
    if len(value.encode("utf-8")) <= MAX_COLLAPSE_ID:
        return value
    return "h:" + hashlib.sha256(value.encode("utf-8")).hexdigest()[: MAX_COLLAPSE_ID - 2]


def expiration(notice: Notice, now: datetime) -> int:
    if notice.expires_at:
        try:
            when = datetime.fromisoformat(notice.expires_at)
        except ValueError:
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return int(when.timestamp()) if when > now else 0
    return int(now.timestamp()) + DEFAULT_EXPIRATION


def apns_id(key: str) -> str | None:
    """A stable UUID per delivery key, so Apple's logs and ours name the same attempt."""
    if not key:
        return None
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"stadtbote:apns:{key}")).upper()


def apns_headers(notice: Notice, key: str, topic: str, now: datetime) -> dict[str, str]:
    headers = {
        "apns-topic": topic,
        "apns-push-type": "alert",
        "apns-priority": str(priority(notice)),
        "apns-collapse-id": collapse_id(notice),
        "apns-expiration": str(expiration(notice, now)),
    }
    ident = apns_id(key)
    if ident:
        headers["apns-id"] = ident
    return headers


def _document(
    notice: Notice, title: str, body: str, critical_alerts: bool, receipt: bool = False
) -> dict[str, object]:
    level = interruption_level(notice, critical_alerts)
    aps: dict[str, object] = {
        "alert": {"title": title, "body": body},
        "interruption-level": level,
        "thread-id": notice.tenant,
        # Wakes the app's notification service extension, which posts the receipt (the app
        # itself does not run when an alert arrives).
        "mutable-content": 1,
    }
    if level == "critical":
        aps["sound"] = {"critical": 1, "name": "default", "volume": 1.0}
    elif level != "passive":
        aps["sound"] = "default"
    doc: dict[str, object] = {
        "aps": aps,
        "url": notice.url,
        "message_id": notice.message_id,
        "kind": notice.kind,
        "severity": notice.severity,
        "lang": notice.language,
    }
    if notice.replaces:
        doc["replaces"] = notice.replaces
    if receipt:
        doc["receipt"] = RECEIPT_SLOT
    return doc


def _encode(doc: dict[str, object]) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _shortened(text: str, keep: int) -> str:
    return text if keep >= len(text) else text[:keep].rstrip() + _ELLIPSIS


def _longest(fits: Callable[[int], bool], length: int) -> int | None:
    """Largest ``keep`` in ``[0, length]`` with ``fits(keep)`` (monotone), else None."""
    if not fits(0):
        return None
    low, high = 0, length
    while low < high:
        mid = (low + high + 1) // 2
        if fits(mid):
            low = mid
        else:
            high = mid - 1
    return low


def payload(
    notice: Notice,
    *,
    critical_alerts: bool = False,
    max_size: int = MAX_PAYLOAD,
    receipt: bool = False,
) -> bytes:
    """The JSON payload, shortening the body (then the title) to fit Apple's 4 KB. With
    ``receipt`` it holds ``RECEIPT_SLOT`` for ``fill_receipt``."""
    full = _encode(_document(notice, notice.title, notice.body, critical_alerts, receipt))
    if len(full) <= max_size:
        return full

    def body_fits(keep: int) -> bool:
        doc = _document(
            notice, notice.title, _shortened(notice.body, keep), critical_alerts, receipt
        )
        return len(_encode(doc)) <= max_size

    keep = _longest(body_fits, len(notice.body))
    if keep is not None:
        return _encode(
            _document(notice, notice.title, _shortened(notice.body, keep), critical_alerts, receipt)
        )

    def title_fits(keep: int) -> bool:
        doc = _document(notice, _shortened(notice.title, keep), "", critical_alerts, receipt)
        return len(_encode(doc)) <= max_size

    keep = _longest(title_fits, len(notice.title))
    if keep is None:
        raise PayloadTooLarge(f"even an empty alert exceeds {max_size} bytes")
    return _encode(_document(notice, _shortened(notice.title, keep), "", critical_alerts, receipt))
