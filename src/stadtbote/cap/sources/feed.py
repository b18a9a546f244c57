"""Any URL serving CAP: one CAP 1.2 document, or an Atom feed (RFC 4287) whose entries link
to CAP documents, as many alerting authorities publish them (the WMO alert hubs, Land flood
centres).

The feed is parsed with the reader's precautions (no DTD, no entities, no network, no huge
trees). Every linked document is fetched through the same allow-list, and entries the town
already has (by their Atom id, which such feeds set to the CAP identifier) are not fetched.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from lxml import etree

from stadtbote.cap import reader
from stadtbote.cap.alert import Alert, CapError
from stadtbote.cap.fetch import Client, FetchError
from stadtbote.cap.models import WarningSource
from stadtbote.cap.sources import Document, Harvest, Seen, SourceError

ATOM = "{http://www.w3.org/2005/Atom}"
CAP_ALERT = "{" + reader.NS + "}alert"
CAP_TYPE = "application/cap+xml"
MAX_ENTRIES = 500


@dataclass(frozen=True)
class Entry:
    id: str
    url: str


def harvest(source: WarningSource, client: Client, seen: Seen) -> Harvest:
    got = client.fetch(
        source.url,
        etag=source.etag,
        last_modified=source.last_modified,
        max_bytes=reader.MAX_BYTES,
    )
    result = Harvest(got.status, got.etag, got.last_modified, [])
    if got.status == 304:
        return result
    root = parse(got.body)
    if root.tag == CAP_ALERT:
        result.documents = [Document(got.url, functools.partial(reader.read, got.body))]
        return result
    if root.tag != ATOM + "feed":
        raise SourceError(f"neither a CAP alert nor an Atom feed: <{etree.QName(root).localname}>")
    entries = atom_entries(root, got.url or source.url)
    known = seen([e.id for e in entries if e.id])
    result.skipped = sum(1 for e in entries if e.id in known)
    result.documents = _documents(client, [e for e in entries if e.id not in known])
    return result


def parse(data: bytes) -> etree._Element:
    """The document's root, parsed like the reader parses CAP; ``SourceError`` otherwise."""
    parser = etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        dtd_validation=False,
        attribute_defaults=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise SourceError(f"not well-formed XML: {exc.msg}") from None
    docinfo = root.getroottree().docinfo
    doctype: str = docinfo.doctype  # type: ignore[union-attr]  # missing from lxml-stubs
    declared = doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None
    if declared or next(root.iter(etree.Entity), None) is not None:
        raise SourceError("DTDs and entities are not allowed")
    return root


def atom_entries(feed: etree._Element, base: str) -> list[Entry]:
    """Each entry's id and the URL of its CAP document, in feed order, once per URL."""
    entries: list[Entry] = []
    urls = set()
    for element in feed.iterfind(ATOM + "entry"):
        if len(entries) >= MAX_ENTRIES:
            break
        href = cap_link(element)
        if not href:
            continue
        url = urljoin(base, href)
        if url in urls:
            continue
        urls.add(url)
        entries.append(Entry((element.findtext(ATOM + "id") or "").strip()[:300], url))
    return entries


def cap_link(entry: etree._Element) -> str:
    """Where the entry's CAP document is: the alternate link typed as CAP, any link typed as
    CAP, any link to an .xml file, or the entry's out-of-line content."""
    links = [
        (link.get("rel") or "alternate", (link.get("type") or "").lower(), link.get("href") or "")
        for link in entry.iterfind(ATOM + "link")
    ]
    links = [(rel, kind, href.strip()) for rel, kind, href in links if href.strip()]
    for rel, kind, href in links:
        if rel == "alternate" and kind.startswith(CAP_TYPE):
            return href
    for _rel, kind, href in links:
        if kind.startswith(CAP_TYPE):
            return href
    for _rel, _kind, href in links:
        if urlsplit(href).path.lower().endswith(".xml"):
            return href
    content = entry.find(ATOM + "content")
    return (content.get("src") or "").strip() if content is not None else ""


def _documents(client: Client, entries: list[Entry]) -> Iterator[Document]:
    for entry in entries:
        try:
            got = client.fetch(entry.url, max_bytes=reader.MAX_BYTES)
        except FetchError as exc:
            if not exc.permanent:
                raise  # the whole poll is repeated, this entry with it
            yield Document(entry.url, _failing(CapError(f"not fetched: {exc}")))
            continue
        yield Document(entry.url, functools.partial(reader.read, got.body))


def _failing(exc: CapError) -> functools.partial[Alert]:
    return functools.partial(_raise, exc)


def _raise(exc: CapError) -> Alert:
    raise exc
