"""Pure mapping from a ``Notice`` to RFC 8030 request headers and the JSON the service worker reads.

Nothing here does I/O or reads a clock on its own: callers pass ``now`` so the functions are
trivially testable and the same batch computes consistent TTLs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime

from stadtbote.core.severity import Severity

from ..base import RECEIPT_SLOT, Notice
from .crypto import MAX_PLAINTEXT, PayloadTooLarge
from .keys import b64url_encode

DEFAULT_TTL = 86400
MAX_TTL = 28 * 86400  # What the big push services keep at most; larger values get clamped anyway.
TOPIC_LENGTH = 32  # RFC 8030 section 5.4: at most 32 characters from the URL-safe base64 alphabet.
ELLIPSIS = "…"


def ttl_seconds(expires_at: str | None, now: datetime) -> int:
    """Seconds the push service should hold the message: until the notice expires.

    A message that has expired must not pop up days later when a phone comes back online, so an
    expired notice gets ``TTL: 0`` (deliver now or never). Unparseable or missing expiry falls
    back to a day, which suits news; naive timestamps are taken as UTC.
    """
    if not expires_at:
        return DEFAULT_TTL
    try:
        expires = datetime.fromisoformat(expires_at)
    except ValueError:
        return DEFAULT_TTL
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    seconds = int((expires - now).total_seconds())
    return max(0, min(MAX_TTL, seconds))


def urgency(severity: str) -> str:
    """``high`` wakes a sleeping device; reserve it for warnings people must act on.

    ``low`` is never used: push services may hold low-urgency messages until the device is on
    power and Wi-Fi, which is wrong even for ordinary municipal news.
    """
    try:
        level = Severity.parse(severity)
    except ValueError:
        return "normal"
    return "high" if level >= Severity.SEVERE else "normal"


def topic(key: str) -> str:
    """Stable ``Topic`` for an idempotency key.

    The push service replaces a still-undelivered message with the same topic, so a resend, or a
    withdrawal that reuses the delivery key, supersedes the original instead of stacking up. The
    key is hashed because keys are arbitrary strings and the topic alphabet and length are not.
    """
    return b64url_encode(hashlib.sha256(key.encode("utf-8")).digest())[:TOPIC_LENGTH]


def push_headers(notice: Notice, key: str, now: datetime) -> dict[str, str]:
    """RFC 8030/8291 headers for one message (without ``Authorization``)."""
    headers = {
        "TTL": str(ttl_seconds(notice.expires_at, now)),
        "Urgency": urgency(notice.severity),
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
    }
    if key:
        headers["Topic"] = topic(key)
    return headers


def _document(notice: Notice, title: str, body: str, receipt: bool = False) -> dict[str, str]:
    doc = {"receipt": RECEIPT_SLOT} if receipt else {}
    doc |= {
        "id": notice.message_id,
        "kind": notice.kind,
        "title": title,
        "body": body,
        "severity": notice.severity,
        "url": notice.url,
        "tenant": notice.tenant,
        "tenant_name": notice.tenant_name,
        "lang": notice.language,
    }
    if notice.expires_at:
        doc["expires"] = notice.expires_at
    if notice.sent_at:
        doc["sent"] = notice.sent_at
    if notice.replaces:
        doc["replaces"] = notice.replaces
    if notice.previous_severity:
        doc["previous_severity"] = notice.previous_severity
    return doc


def _encode(doc: dict[str, str]) -> bytes:
    # ensure_ascii=False: German and Turkish text is ~1 byte/char as UTF-8 but 6 as \\u escapes.
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _shortened(text: str, keep: int) -> str:
    return text if keep >= len(text) else text[:keep].rstrip() + ELLIPSIS


def _longest_fitting(fits: Callable[[int], bool], length: int) -> int | None:
    """Largest ``keep`` in ``[0, length]`` with ``fits(keep)``, by binary search (JSON escaping
    makes the byte size of a prefix non-trivial to predict, but it grows monotonically)."""
    if not fits(0):
        return None
    lo, hi = 0, length
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def payload(notice: Notice, max_size: int = MAX_PLAINTEXT, *, receipt: bool = False) -> bytes:
    """Compact JSON for the service worker, shortened to fit one encrypted record.

    The body is cut first (the notification links to the full text), then the title. Cutting
    works on code points, so the UTF-8 output is always valid. Raises ``PayloadTooLarge`` only
    when even empty texts do not fit (absurd URLs or tenant names). With ``receipt`` the
    document holds ``RECEIPT_SLOT`` for ``fill_receipt``.
    """
    data = _encode(_document(notice, notice.title, notice.body, receipt))
    if len(data) <= max_size:
        return data

    def body_fits(keep: int) -> bool:
        doc = _document(notice, notice.title, _shortened(notice.body, keep), receipt)
        return len(_encode(doc)) <= max_size

    keep = _longest_fitting(body_fits, len(notice.body))
    if keep is not None:
        return _encode(_document(notice, notice.title, _shortened(notice.body, keep), receipt))

    body = _shortened(notice.body, 0)

    def title_fits(keep: int) -> bool:
        doc = _document(notice, _shortened(notice.title, keep), body, receipt)
        return len(_encode(doc)) <= max_size

    keep = _longest_fitting(title_fits, len(notice.title))
    if keep is None:
        raise PayloadTooLarge(f"notice {notice.message_id} does not fit {max_size} bytes")
    return _encode(_document(notice, _shortened(notice.title, keep), body, receipt))
