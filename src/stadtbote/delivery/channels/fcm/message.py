"""Pure mapping from a ``Notice`` to the FCM HTTP v1 ``messages:send`` request body.

Shape (https://firebase.google.com/docs/reference/fcm/rest/v1/projects.messages)::

    {"message": {"token": ..., "notification": {"title", "body"},
                 "data": {string: string},
                 "android": {"priority": "HIGH"|"NORMAL", "collapse_key": ..., "ttl": "3600s",
                             "notification": {"tag": ...}}}}

``apns`` is left out: iOS apps are reached through Web Push (ADR 0003) for now.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from stadtbote.core.severity import Severity

from ..base import Notice
from ..webpush.headers import ttl_seconds

# FCM rejects messages whose notification + data exceed 4096 bytes; keep room for JSON framing.
MAX_PAYLOAD = 4000
ELLIPSIS = "…"
MAX_TOKEN_LENGTH = 4096
_TOKEN_RE = re.compile(r"^[\x21-\x7e]+$")


def token_problem(token: str) -> str | None:
    """Why ``token`` can never be a registration token, or None if it might be one."""
    if not token:
        return "empty registration token"
    if len(token) > MAX_TOKEN_LENGTH:
        return "registration token too long"
    if not _TOKEN_RE.match(token):
        return "registration token contains whitespace or non-ASCII characters"
    return None


def priority(severity: str) -> str:
    """``HIGH`` wakes a dozing phone (Doze mode); only for warnings people must act on."""
    try:
        level = Severity.parse(severity)
    except ValueError:
        return "NORMAL"
    return "HIGH" if level >= Severity.SEVERE else "NORMAL"


def collapse_key(notice: Notice) -> str:
    """An update collapses into (and replaces) the message it updates."""
    return notice.replaces or notice.message_id


def data(notice: Notice) -> dict[str, str]:
    """The app's view of the notice; FCM wants every value to be a string."""
    doc = {
        "message_id": notice.message_id,
        "kind": notice.kind,
        "severity": notice.severity,
        "url": notice.url,
        "tenant": notice.tenant,
        "tenant_name": notice.tenant_name,
        "lang": notice.language,
    }
    optional = {
        "expires_at": notice.expires_at,
        "sent_at": notice.sent_at,
        "replaces": notice.replaces,
        "previous_severity": notice.previous_severity,
    }
    doc.update({k: v for k, v in optional.items() if v})
    return doc


def _size(title: str, body: str, values: dict[str, str]) -> int:
    doc = {"notification": {"title": title, "body": body}, "data": values}
    return len(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _shortened(text: str, keep: int) -> str:
    return text if keep >= len(text) else text[:keep].rstrip() + ELLIPSIS


def fit(notice: Notice, values: dict[str, str], limit: int = MAX_PAYLOAD) -> tuple[str, str]:
    """Title and body cut (body first) so the payload fits FCM's 4 KB; the URL has the rest."""
    title, body = notice.title, notice.body
    if _size(title, body, values) <= limit:
        return title, body
    for cut_title in (False, True):
        text = title if cut_title else body

        def fits(keep: int, cut_title: bool = cut_title, text: str = text) -> bool:
            cut = _shortened(text, keep)
            return (
                _size(cut, "", values) <= limit if cut_title else _size(title, cut, values) <= limit
            )

        if not fits(0):
            continue
        lo, hi = 0, len(text)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if fits(mid):
                lo = mid
            else:
                hi = mid - 1
        return (_shortened(title, lo), "") if cut_title else (title, _shortened(body, lo))
    raise ValueError("notice does not fit an FCM message even with empty texts")


def fcm_message(
    token: str, notice: Notice, now: datetime, receipt: str | None = None
) -> dict[str, Any]:
    """The complete request body for one registration token (with the receipt the app posts
    back when it got the message)."""
    values = data(notice)
    if receipt:
        values["receipt"] = receipt
    title, body = fit(notice, values)
    key = collapse_key(notice)
    android: dict[str, Any] = {
        "priority": priority(notice.severity),
        "collapse_key": key,
        # The tag makes an update replace the shown notification instead of adding one.
        "notification": {"tag": key},
    }
    if notice.expires_at:
        # An expired notice gets 0s: deliver now or never, not days later.
        android["ttl"] = f"{ttl_seconds(notice.expires_at, now)}s"
    return {
        "message": {
            "token": token,
            "notification": {"title": title, "body": body},
            "data": values,
            "android": android,
        }
    }
