"""The rules of RFC 4287 (Atom) a feed document must keep, checked on the parsed tree.

Not a schema: the RFC's own RELAX NG is informative and cannot express the rules that matter
most (one alternate link per type and language, an author for every entry), so they are written
out here, one line each, naming the section.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

ATOM = "http://www.w3.org/2005/Atom"
# RFC 3339 date-time (section 3.3), upper-case T and Z.
DATE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
FEED_CHILDREN = {
    "author",
    "category",
    "contributor",
    "generator",
    "icon",
    "id",
    "link",
    "logo",
    "rights",
    "subtitle",
    "title",
    "updated",
    "entry",
}
ENTRY_CHILDREN = {
    "author",
    "category",
    "content",
    "contributor",
    "id",
    "link",
    "published",
    "rights",
    "source",
    "summary",
    "title",
    "updated",
}
TEXT_TYPES = {None, "text", "html", "xhtml"}


def violations(feed: Any) -> list[str]:
    """Every broken rule, as "where: what" lines; empty for a valid Atom feed document."""
    found: list[str] = []
    if feed.tag != f"{{{ATOM}}}feed":
        return [f"root: {feed.tag} is not atom:feed"]
    found += _container(feed, "feed", FEED_CHILDREN, {"id", "title", "updated"}, {"generator"})
    feed_has_author = feed.find(f"{{{ATOM}}}author") is not None
    for n, entry in enumerate(feed.iterfind(f"{{{ATOM}}}entry")):
        where = f"entry {n + 1}"
        found += _container(
            entry, where, ENTRY_CHILDREN, {"id", "title", "updated"}, {"published", "summary"}
        )
        if len(entry.findall(f"{{{ATOM}}}content")) > 1:
            found.append(f"{where}: more than one atom:content (4.1.2)")
        if not feed_has_author and entry.find(f"{{{ATOM}}}author") is None:
            found.append(f"{where}: no atom:author in the entry or the feed (4.1.1)")
        if entry.find(f"{{{ATOM}}}content") is None and entry.find(f"{{{ATOM}}}summary") is None:
            found.append(f"{where}: neither content nor summary (4.1.2)")
        if entry.find(f"{{{ATOM}}}content") is None and not _alternates(entry):
            found.append(f"{where}: no content and no alternate link (4.1.2)")
    return found


def _container(
    node: Any, where: str, allowed: set[str], once: set[str], at_most_once: set[str]
) -> list[str]:
    found: list[str] = []
    counts = Counter(_local(child) for child in node if _in_atom(child))
    for name in sorted(once):
        if counts[name] != 1:
            found.append(f"{where}: {counts[name]} atom:{name}, exactly one required (4.1)")
    for name in sorted(at_most_once):
        if counts[name] > 1:
            found.append(f"{where}: {counts[name]} atom:{name}, at most one allowed (4.1)")
    found += [f"{where}: unknown element atom:{n}" for n in sorted(set(counts) - allowed)]
    for child in node:
        if not _in_atom(child):
            continue
        name = _local(child)
        if name == "id" and not urlsplit((child.text or "").strip()).scheme:
            found.append(f"{where}: atom:id {child.text!r} is not an absolute IRI (4.2.6)")
        if name in ("updated", "published") and not DATE_TIME.match(child.text or ""):
            found.append(f"{where}: atom:{name} {child.text!r} is not RFC 3339 (3.3)")
        if name in ("title", "summary", "subtitle", "rights", "content"):
            if child.get("type") not in TEXT_TYPES | (
                {"text/plain"} if name == "content" else set()
            ):
                found.append(f"{where}: atom:{name} has type {child.get('type')!r} (3.1.1)")
            if child.get("type") in (None, "text") and len(child):
                found.append(f"{where}: text atom:{name} holds elements (3.1.1.1)")
        if name in ("author", "contributor"):
            names = child.findall(f"{{{ATOM}}}name")
            if len(names) != 1 or not (names[0].text or "").strip():
                found.append(f"{where}: atom:{name} needs exactly one atom:name (3.2.1)")
        if name == "link" and not child.get("href"):
            found.append(f"{where}: atom:link without href (4.2.7.1)")
        if name == "category" and not child.get("term"):
            found.append(f"{where}: atom:category without term (4.2.2.1)")
    pairs = Counter((link.get("type"), link.get("hreflang")) for link in _alternates(node))
    found += [
        f"{where}: {count} alternate links with type {t!r} and hreflang {h!r} (4.1.1)"
        for (t, h), count in pairs.items()
        if count > 1
    ]
    return found


def _alternates(node: Any) -> list[Any]:
    return [
        link
        for link in node.findall(f"{{{ATOM}}}link")
        if link.get("rel", "alternate") == "alternate"
    ]


def _in_atom(node: Any) -> bool:
    return isinstance(node.tag, str) and node.tag.startswith(f"{{{ATOM}}}")


def _local(node: Any) -> str:
    return str(node.tag).split("}", 1)[1]
