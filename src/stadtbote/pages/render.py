"""Markdown for texts staff write. Raw HTML is escaped and unsafe link schemes are refused by
markdown-it's defaults, so a compromised staff account cannot inject script."""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt


@lru_cache(maxsize=1)
def _md() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def markdown(text: str) -> str:
    return _md().render(text)
