"""Pages as passages for the index: one per ``##`` section, long sections cut at paragraph
and sentence ends, each carrying its page's title, keywords and its heading."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

PASSAGE_WORDS = 120


@dataclass(frozen=True, slots=True)
class Passage:
    doc_id: str
    url: str
    title: str
    heading: str  # "" for the text before the first "##"
    text: str  # the section's Markdown, without its heading line
    language: str
    tags: str = ""  # the page's keywords, space-separated


class PageLike(Protocol):
    url: str
    title: str
    body: str
    language: str
    tags: list[str]


# -- passages -----------------------------------------------------------------------------------

_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)[\s#]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def split_passages(
    title: str,
    markdown_body: str,
    url: str,
    language: str,
    doc_id: str | None = None,
    tags: Iterable[str] = (),
) -> list[Passage]:
    """One passage per ``##`` section (the text before the first one too); sections longer
    than ~``PASSAGE_WORDS`` words are cut at paragraph boundaries, and a paragraph that alone
    is far longer at sentence ends. A ``#`` line repeats the title and is left out; ``###``
    and deeper stay in their section. Each passage carries the page title and its heading."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    in_code = False
    for line in markdown_body.splitlines():
        if _FENCE.match(line):
            in_code = not in_code
        heading = None if in_code else _HEADING.match(line)
        if heading and len(heading.group(1)) == 1:
            continue
        if heading and len(heading.group(1)) == 2:
            sections.append((heading.group(2).strip(), []))
        else:
            sections[-1][1].append(line)
    keywords = " ".join(tags)
    passages = []
    for heading_text, lines in sections:
        for chunk in _chunks("\n".join(lines)):
            passages.append(
                Passage(doc_id or url, url, title.strip(), heading_text, chunk, language, keywords)
            )
    return passages


def _chunks(text: str) -> list[str]:
    """Paragraphs packed into chunks of at most ~``PASSAGE_WORDS`` words; a paragraph far
    longer than that is first cut into runs of whole sentences of about that size."""
    blocks: list[str] = []
    for paragraph in (p.strip() for p in re.split(r"\n\s*\n", text)):
        if len(paragraph.split()) > 2 * PASSAGE_WORDS:
            blocks.extend(" ".join(run) for run in _pack(_SENTENCE_END.split(paragraph)))
        elif paragraph:
            blocks.append(paragraph)
    return ["\n\n".join(run) for run in _pack(blocks)]


def _pack(pieces: list[str]) -> list[list[str]]:
    runs: list[list[str]] = []
    size = 0
    for piece in pieces:
        count = len(piece.split())
        if not runs or (size and size + count > PASSAGE_WORDS):
            runs.append([])
            size = 0
        runs[-1].append(piece)
        size += count
    return runs
