"""Pure classification of FCM HTTP v1 answers into channel outcomes.

FCM errors are Google API errors::

    {"error": {"code": 404, "message": "...", "status": "NOT_FOUND",
               "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                            "errorCode": "UNREGISTERED"}]}}

``errorCode`` (FCM's own) decides first, then ``status``, then the HTTP status.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..base import Outcome
from ..webpush.responses import MAX_RETRY_AFTER, parse_retry_after, snippet

FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"

# The app was uninstalled or the token expired; or it belongs to another sender.
GONE_CODES = frozenset({"UNREGISTERED", "SENDER_ID_MISMATCH"})
RETRY_CODES = frozenset({"QUOTA_EXCEEDED", "UNAVAILABLE", "INTERNAL"})
RETRY_STATUSES = frozenset({"RESOURCE_EXHAUSTED", "UNAVAILABLE", "INTERNAL"})


@dataclass(frozen=True, slots=True)
class FcmError:
    code: int | None
    status: str
    error_code: str
    message: str
    fields: tuple[str, ...]  # BadRequest fieldViolations[].field

    @property
    def about_token(self) -> bool:
        if "message.token" in self.fields:
            return True
        text = self.message.lower()
        return "registration token" in text


def parse_error(body: bytes) -> FcmError | None:
    """The Google API error in ``body``, or None if it is not one."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    error = doc.get("error") if isinstance(doc, dict) else None
    if not isinstance(error, dict):
        return None
    error_code = ""
    fields: list[str] = []
    details = error.get("details")
    for detail in details if isinstance(details, list) else []:
        if not isinstance(detail, dict):
            continue
        if detail.get("@type") == FCM_ERROR_TYPE and isinstance(detail.get("errorCode"), str):
            error_code = detail["errorCode"]
        violations = detail.get("fieldViolations")
        if detail.get("@type") == BAD_REQUEST_TYPE and isinstance(violations, list):
            fields.extend(
                v["field"]
                for v in violations
                if isinstance(v, dict) and isinstance(v.get("field"), str)
            )
    code = error.get("code")
    return FcmError(
        code=code if isinstance(code, int) else None,
        status=_text(error.get("status")),
        error_code=error_code,
        message=_text(error.get("message")),
        fields=tuple(fields),
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def is_auth_failure(status: int, body: bytes) -> bool:
    """A 401 about our access token (refresh and retry), not a third-party credential."""
    if status != 401:
        return False
    error = parse_error(body)
    return error is None or error.error_code != "THIRD_PARTY_AUTH_ERROR"


def classify_response(
    delivery_id: int,
    status: int,
    body: bytes,
    retry_after: str | None,
    now: datetime,
    cap: float = MAX_RETRY_AFTER,
) -> Outcome:
    if 200 <= status < 300:
        return _success(delivery_id, status, body)
    error = parse_error(body)
    if error is None:
        detail = snippet(body)
        reason = f"HTTP {status}: {detail}" if detail else f"HTTP {status}"
        code = ""
    else:
        code = error.error_code or error.status
        reason = f"HTTP {status} {code}: {' '.join(error.message.split())}".strip(": ")[:200]

    def retry() -> Outcome:
        return Outcome(delivery_id, "retry", reason, parse_retry_after(retry_after, now, cap))

    if error is not None:
        if error.error_code in GONE_CODES:
            return Outcome(delivery_id, "gone", reason)
        if error.error_code == "INVALID_ARGUMENT" or error.status == "INVALID_ARGUMENT":
            return Outcome(delivery_id, "gone" if error.about_token else "failed", reason)
        if error.error_code in RETRY_CODES or error.status in RETRY_STATUSES:
            return retry()
        if error.error_code == "THIRD_PARTY_AUTH_ERROR":
            # The app's APNs or Web Push credentials in Firebase, not ours: nothing to retry.
            return Outcome(delivery_id, "failed", reason)
    if status == 429 or status >= 500:
        return retry()
    if status == 401:
        # Reached only after a refreshed token was refused too: credentials are broken, which
        # an operator can fix, so the message waits instead of being given up.
        return retry()
    if 300 <= status < 400:
        return Outcome(delivery_id, "failed", f"HTTP {status}: redirect not followed")
    return Outcome(delivery_id, "failed", reason)


def _success(delivery_id: int, status: int, body: bytes) -> Outcome:
    """FCM answers ``{"name": "projects/<p>/messages/<id>"}``; anything else is not FCM."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        doc = None
    name = doc.get("name") if isinstance(doc, dict) else None
    if isinstance(name, str) and "/messages/" in name:
        return Outcome(delivery_id, "sent")
    detail = snippet(body)
    return Outcome(delivery_id, "failed", f"HTTP {status}: malformed FCM answer {detail}".strip())
