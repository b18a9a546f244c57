"""Reading a CAP 1.2 document (OASIS CAP 1.2, section 3) into the plain data of ``alert.py``.

Documents come from feeds and from anyone holding a push key, so the reader trusts nothing: it
refuses oversized input before parsing, never loads a DTD, resolves no entity, touches no file
and no network, and validates against the OASIS schema before reading a single field. Whatever
it refuses raises ``CapError`` naming the problem and, where there is one, the line.

Resources (``<resource>``) and signatures are accepted by the schema but not read: nothing in
Stadtbote passes attachments on, and fetching a ``uri`` would be network access on the sender's
behalf.
"""

from __future__ import annotations

import functools
import math
import re
import threading
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Protocol, cast

from lxml import etree

from stadtbote.cap.alert import Alert, Area, CapError, Circle, Info, Reference

# DWD documents are about 220 KB; 4 MiB leaves room for long polygons without inviting a
# parser to chew on anything near memory limits.
MAX_BYTES = 4 * 1024 * 1024
MAX_POLYGON_POINTS = 10_000
MIN_YEAR, MAX_YEAR = 1970, 2200
NS = "urn:oasis:names:tc:emergency:cap:1.2"
SCHEMA_PATH = Path(__file__).with_name("schema") / "CAP-v1.2.xsd"

Ring = list[tuple[float, float]]

_Q = "{" + NS + "}"
# The schema's own pattern for dateTime values; references carry the same format.
_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d")
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)")
# Feeds write "51.6, 8.3" now and then; the comma, not the space, separates the coordinates.
_LOOSE_COMMA = re.compile(r"\s*,\s*")
_LIBXML_POSITION = re.compile(r", line \d+, (column \d+)$")
# lxml collects validation errors in a log on the schema object; two threads validating at
# once would read each other's errors.
_schema_lock = threading.Lock()
# Messages quote the offending text, but not a megabyte of it.
_MAX_SHOWN = 80


def read(data: bytes) -> Alert:
    """The alert in ``data`` (a CAP 1.2 XML document, any encoding XML allows)."""
    if len(data) > MAX_BYTES:
        raise CapError(f"document too large: {len(data)} bytes, at most {MAX_BYTES} allowed")
    data = bytes(data)
    _scan(data)
    root = _parse(data)
    _refuse_dtd(root)
    if root.tag != _Q + "alert":
        name = etree.QName(root)
        raise CapError(
            f"not a CAP 1.2 alert: root element <{name.localname}> in namespace "
            f"{name.namespace or '(none)'}, expected <alert> in {NS}",
            _line(root),
        )
    _validate(root.getroottree())
    return _alert(root)


def parse_polygon(text: str) -> Ring:
    """A CAP polygon ("lat,lon lat,lon ...", WGS 84) as a closed ring of (lon, lat)."""
    pairs = _LOOSE_COMMA.sub(",", text).split()
    # Repairing a self-intersecting outline grows faster than its length: a 150,000-point
    # ring held a worker for two minutes. Real outlines (DWD: ~700 points) stay far below.
    if len(pairs) > MAX_POLYGON_POINTS:
        raise CapError(f"polygon has {len(pairs)} points, at most {MAX_POLYGON_POINTS}")
    ring = [_point(pair) for pair in pairs]
    if len(ring) < 4:
        raise CapError(f"polygon has {len(ring)} points, CAP requires at least 4")
    if ring[0] != ring[-1]:
        raise CapError("polygon is not closed: its first and last points differ")
    return ring


def parse_circle(text: str) -> Circle:
    """A CAP circle ("lat,lon radius", radius in kilometres)."""
    parts = _LOOSE_COMMA.sub(",", text).split()
    if len(parts) != 2:
        raise CapError(f"circle is not 'lat,lon radius': {_shown(text.strip())}")
    lon, lat = _point(parts[0])
    if not _NUMBER.fullmatch(parts[1]) or float(parts[1]) < 0:
        raise CapError(f"circle radius is not a number of kilometres: {_shown(parts[1])}")
    return Circle(lon=lon, lat=lat, radius_km=float(parts[1]))


def parse_references(text: str) -> list[Reference]:
    """CAP ``references``: whitespace-separated "sender,identifier,sent" triples."""
    references = []
    for triple in _LOOSE_COMMA.sub(",", text).split():
        parts = triple.split(",")
        if len(parts) != 3 or not all(parts):
            raise CapError(f"reference is not 'sender,identifier,sent': {_shown(triple)}")
        if not _DATETIME.fullmatch(parts[2]):
            raise CapError(f"reference has no valid sent time: {_shown(triple)}")
        references.append(Reference(sender=parts[0], identifier=parts[1], sent=parts[2]))
    return references


def _point(pair: str) -> tuple[float, float]:
    lat_text, comma, lon_text = pair.partition(",")
    # A strict pattern rather than float(): float() also takes "nan", "inf" and "1_0".
    if not (comma and _NUMBER.fullmatch(lat_text) and _NUMBER.fullmatch(lon_text)):
        raise CapError(f"not a coordinate pair 'lat,lon': {_shown(pair)}")
    lat, lon = float(lat_text), float(lon_text)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise CapError(
            f"coordinates out of range: {_shown(pair)} (latitude -90..90, longitude -180..180)"
        )
    return (lon, lat)


def _shown(text: str) -> str:
    quoted = repr(text)
    return quoted if len(quoted) <= _MAX_SHOWN else quoted[: _MAX_SHOWN - 1] + "…"


class _LogEntry(Protocol):
    message: str
    line: int


class _DoctypeFound(Exception):
    pass


class _Prolog:
    """A parser target that stops at a document type declaration. libxml2 reports the DOCTYPE
    before it reads the declarations inside, so nothing of a DTD is ever processed."""

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise _DoctypeFound

    def close(self) -> None:
        return None


def _parser(target: _Prolog | None = None) -> etree.XMLParser:
    # A fresh parser per document: lxml parsers are not meant to be shared between threads.
    return etree.XMLParser(
        # lxml-stubs demand every target method; lxml calls only those a target has.
        target=cast("etree.ParserTarget | None", target),
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        dtd_validation=False,
        attribute_defaults=False,
        remove_comments=True,
        remove_pis=True,
    )


def _scan(data: bytes) -> None:
    """A first pass without building a tree (under a millisecond for a DWD warning): refuses
    any document type, and anything not well-formed, before the tree-building parse."""
    try:
        etree.fromstring(data, _parser(_Prolog()))
    except _DoctypeFound:
        raise CapError("DTDs and entities are not allowed") from None
    except etree.XMLSyntaxError as exc:
        raise _malformed(exc) from None


def _parse(data: bytes) -> etree._Element:
    try:
        return etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise _malformed(exc) from None


def _malformed(exc: etree.XMLSyntaxError) -> CapError:
    message = _LIBXML_POSITION.sub(r" at \1", " ".join(str(exc.msg or "syntax error").split()))
    return CapError(f"not well-formed XML: {message}", exc.lineno)


def _refuse_dtd(root: etree._Element) -> None:
    """No document type at all: CAP needs none, and every XML bomb and external-entity attack
    comes in through one. ``_scan`` has refused it already; this is the second line, should a
    parser ever stop reporting DOCTYPEs to targets."""
    docinfo = root.getroottree().docinfo
    doctype: str = docinfo.doctype  # type: ignore[attr-defined]  # missing from lxml-stubs
    declared = doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None
    if declared or next(root.iter(etree.Entity), None) is not None:
        raise CapError("DTDs and entities are not allowed")


@functools.cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH), _parser()))


def _validate(tree: etree._ElementTree) -> None:
    schema = _schema()
    with _schema_lock:
        valid = schema.validate(tree)
        errors = list(cast("Iterable[_LogEntry]", schema.error_log))
    if not valid:
        first = errors[0] if errors else None
        message = first.message.replace(_Q, "") if first else "rejected by the schema"
        if len(message) > _MAX_SHOWN * 4:
            message = message[: _MAX_SHOWN * 4] + "…"
        raise CapError(f"not valid CAP 1.2: {message}", first.line if first else None)


def _alert(root: etree._Element) -> Alert:
    sent = root.find(_Q + "sent")
    references = root.find(_Q + "references")
    try:
        refs = parse_references(_text(references))
    except CapError as exc:
        raise CapError(str(exc), _line(references)) from None
    return Alert(
        identifier=_child(root, "identifier"),
        sender=_child(root, "sender"),
        sent=_time(sent),
        sent_text=_text(sent),
        status=_child(root, "status"),
        msg_type=_child(root, "msgType"),
        scope=_child(root, "scope"),
        source=_child(root, "source"),
        restriction=_child(root, "restriction"),
        addresses=_child(root, "addresses"),
        codes=_children(root, "code"),
        note=_child(root, "note"),
        references=refs,
        incidents=_child(root, "incidents"),
        infos=[_info(info) for info in root.iterfind(_Q + "info")],
    )


def _info(info: etree._Element) -> Info:
    return Info(
        language=_child(info, "language") or "en-US",
        categories=_children(info, "category"),
        event=_child(info, "event"),
        response_types=_children(info, "responseType"),
        urgency=_child(info, "urgency"),
        severity=_child(info, "severity"),
        certainty=_child(info, "certainty"),
        audience=_child(info, "audience"),
        event_codes=_pairs(info, "eventCode"),
        effective=_optional_time(info.find(_Q + "effective")),
        onset=_optional_time(info.find(_Q + "onset")),
        expires=_optional_time(info.find(_Q + "expires")),
        sender_name=_child(info, "senderName"),
        headline=_child(info, "headline"),
        description=_child(info, "description"),
        instruction=_child(info, "instruction"),
        web=_child(info, "web"),
        contact=_child(info, "contact"),
        parameters=_pairs(info, "parameter"),
        areas=[_area(area) for area in info.iterfind(_Q + "area")],
    )


def _area(area: etree._Element) -> Area:
    description = _child(area, "areaDesc")
    polygons = []
    for number, element in enumerate(area.iterfind(_Q + "polygon"), 1):
        try:
            polygons.append(parse_polygon(_text(element)))
        except CapError as exc:
            where = f"polygon {number} of area {_shown(description)}"
            raise CapError(f"{where}: {exc}", _line(element)) from None
    circles = []
    for number, element in enumerate(area.iterfind(_Q + "circle"), 1):
        try:
            circles.append(parse_circle(_text(element)))
        except CapError as exc:
            where = f"circle {number} of area {_shown(description)}"
            raise CapError(f"{where}: {exc}", _line(element)) from None
    return Area(
        description=description,
        polygons=polygons,
        circles=circles,
        geocodes=_pairs(area, "geocode"),
        altitude=_decimal(area.find(_Q + "altitude")),
        ceiling=_decimal(area.find(_Q + "ceiling")),
    )


def _text(element: etree._Element | None) -> str:
    # The schema allows no child elements in the fields read here, and the parser dropped
    # comments, so .text is the whole content.
    if element is None or element.text is None:
        return ""
    return element.text.strip()


def _line(element: etree._Element | None) -> int | None:
    # lxml-stubs type sourceline as "..."; lxml gives an int, or None for built elements.
    return cast("int | None", element.sourceline) if element is not None else None


def _child(parent: etree._Element, name: str) -> str:
    return _text(parent.find(_Q + name))


def _children(parent: etree._Element, name: str) -> list[str]:
    return [_text(element) for element in parent.iterfind(_Q + name)]


def _pairs(parent: etree._Element, name: str) -> list[tuple[str, str]]:
    return [
        (_child(element, "valueName"), _child(element, "value"))
        for element in parent.iterfind(_Q + name)
    ]


def _time(element: etree._Element | None) -> datetime:
    text = _text(element)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        value = None
    # The schema has checked the pattern; this catches values like hour 24 it lets through.
    if value is None or value.tzinfo is None:
        raise CapError(f"not a date and time with offset: {_shown(text)}", _line(element))
    # Year 1 or 9999 with an offset cannot even be converted to UTC; no warning is that old
    # or lasts that long.
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise CapError(f"date out of range: {_shown(text)}", _line(element))
    return value


def _optional_time(element: etree._Element | None) -> datetime | None:
    return _time(element) if element is not None else None


def _decimal(element: etree._Element | None) -> float | None:
    if element is None:
        return None
    value = float(_text(element))
    if not math.isfinite(value):
        raise CapError(f"not a finite number: {_shown(_text(element))}", _line(element))
    return value
