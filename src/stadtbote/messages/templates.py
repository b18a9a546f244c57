"""Message templates (pure): placeholders are words in square brackets, e.g. "[Straße]", that
staff replace before sending; a message that still has one is not sent."""

from __future__ import annotations

import re
from collections.abc import Iterable

PLACEHOLDER = re.compile(r"\[([^\[\]\n]{1,40})\]")


def unfilled(texts: Iterable[str]) -> list[str]:
    """The placeholders still in ``texts``, each once, in order of appearance."""
    seen: dict[str, None] = {}
    for text in texts:
        for match in PLACEHOLDER.finditer(text):
            seen.setdefault(match.group(0), None)
    return list(seen)
