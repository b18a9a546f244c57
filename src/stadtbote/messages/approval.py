"""The four-eyes rule (pure): which messages wait for a second person, and who may release
them."""

from __future__ import annotations

from stadtbote.core.severity import Severity


def needs_approval(severity: Severity, approval_from: str) -> bool:
    """``approval_from`` is the town's setting: a severity name, or "" for never."""
    if not approval_from:
        return False
    return severity >= Severity.parse(approval_from)


def may_approve(author_id: int | None, approver_id: int) -> bool:
    """Anyone allowed to approve, except the author: the point is a second pair of eyes."""
    return author_id is not None and author_id != approver_id
