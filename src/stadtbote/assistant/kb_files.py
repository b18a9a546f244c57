"""Knowledge-base pages as files: Markdown with YAML front matter (title, url, language, tags,
translation_of), read and checked without touching the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from stadtbote.core.links import is_safe_link

REQUIRED = ("title", "url")
MAX_FILE_BYTES = 512 * 1024
MAX_TITLE = 300
MAX_URL = 500


class KbFileError(ValueError):
    """A file that cannot be imported; ``str()`` names the file and what is wrong."""


@dataclass
class Page:
    url: str
    title: str
    body: str
    language: str = "de"
    tags: list[str] = field(default_factory=list)
    translation_of: str = ""


def parse(text: str, name: str = "page") -> Page:
    """One file's text: front matter between the first two ``---`` lines, then the body."""
    if not text.startswith("---"):
        raise KbFileError(f"{name}: starts without front matter (---)")
    parts = text.split("\n---", 1)
    if len(parts) != 2:
        raise KbFileError(f"{name}: the front matter is not closed (---)")
    try:
        meta: Any = yaml.safe_load(parts[0].removeprefix("---"))
    except yaml.YAMLError as exc:
        raise KbFileError(f"{name}: front matter is not YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise KbFileError(f"{name}: front matter must be key: value lines")
    for key in REQUIRED:
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            raise KbFileError(f"{name}: '{key}' is missing")
    url, title = meta["url"].strip(), meta["title"].strip()
    if not is_safe_link(url) or len(url) > MAX_URL:
        raise KbFileError(f"{name}: 'url' must be a web address or a path, at most {MAX_URL}")
    if len(title) > MAX_TITLE:
        raise KbFileError(f"{name}: 'title' is longer than {MAX_TITLE} characters")
    tags = meta.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise KbFileError(f"{name}: 'tags' must be a list of words")
    language = str(meta.get("language") or "de").strip().lower()[:8]
    body = parts[1].split("\n", 1)[1] if "\n" in parts[1] else ""
    return Page(
        url=url,
        title=title,
        body=body.strip(),
        language=language,
        tags=[t.strip().lower() for t in tags if t.strip()],
        translation_of=str(meta.get("translation_of") or "").strip()[:MAX_URL],
    )


def read_folder(folder: Path) -> list[Page]:
    """Every ``*.md`` below ``folder``; one bad file stops the import (nothing half-done)."""
    if not folder.is_dir():
        raise KbFileError(f"{folder}: not a folder")
    pages: dict[str, Page] = {}
    for path in sorted(folder.rglob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        if path.stat().st_size > MAX_FILE_BYTES:
            raise KbFileError(f"{path}: larger than {MAX_FILE_BYTES // 1024} KiB")
        page = parse(path.read_text(encoding="utf-8"), str(path))
        if page.url in pages:
            raise KbFileError(f"{path}: the url {page.url} is used by another file too")
        pages[page.url] = page
    return list(pages.values())


def read_synonyms(path: Path) -> dict[str, list[str]]:
    """``term: [expansions]`` in YAML; terms and expansions in lower case."""
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise KbFileError(f"{path}: not YAML: {exc}") from None
    if not isinstance(data, dict):
        raise KbFileError(f"{path}: must map each term to a list of words")
    result: dict[str, list[str]] = {}
    for term, expansions in data.items():
        if isinstance(expansions, str):
            expansions = [expansions]
        if not isinstance(term, str) or not isinstance(expansions, list):
            raise KbFileError(f"{path}: {term!r} must map to a list of words")
        result[term.strip().lower()[:100]] = [str(e).strip().lower() for e in expansions]
    return result
