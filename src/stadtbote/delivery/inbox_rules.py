"""Inbox ordering as a pure rule, tested without a database."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from stadtbote.core.severity import Severity


def order_entries(items: Iterable[tuple[str, int, bool, datetime | None]]) -> list[str]:
    """Ids in display order: valid severe and extreme warnings first (they need action now),
    then everything else newest first; withdrawn messages never float to the top.

    Items are ``(id, severity, withdrawn, published_at)``.
    """

    def key(item: tuple[str, int, bool, datetime | None]) -> tuple[int, float, str]:
        mid, severity, withdrawn, published = item
        urgent = not withdrawn and severity >= Severity.SEVERE
        stamp = published.timestamp() if published else 0.0
        return (0 if urgent else 1, -stamp, mid)

    return [item[0] for item in sorted(items, key=key)]
