"""Which addresses from stored data may become links on our pages."""

from __future__ import annotations


def is_safe_link(url: str) -> bool:
    """Web addresses and our own paths only: never ``javascript:``, ``data:`` or a path that
    a browser reads as another host (``//host``, ``/\\host``), whatever a stored entry says."""
    if url.startswith(("https://", "http://")):
        return True
    return url.startswith("/") and not url.startswith(("//", "/\\"))
