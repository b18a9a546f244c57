"""Colour rules for tenant themes (WCAG 2.1 contrast), pure functions."""

from __future__ import annotations

import re

HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
WHITE = "#ffffff"
# WCAG 2.1 SC 1.4.3: normal text needs 4.5:1.
MIN_TEXT_CONTRAST = 4.5


def _channel(v: int) -> float:
    c = v / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    if not HEX.match(colour):
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def carries_white_text(colour: str) -> bool:
    """True when white text on this background meets WCAG AA for normal text."""
    return contrast(colour, WHITE) >= MIN_TEXT_CONTRAST
