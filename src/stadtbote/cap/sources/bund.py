"""warnung.bund.de, the federal warning portal behind the NINA app (base URL e.g.
https://warnung.bund.de/api31): MoWaS, KATWARN, BIWAPP, the DWD, flood centres and police.

``GET {base}/dashboard/{ARS}.json`` lists the warnings for a district (Kreis), by its 12-digit
Amtlicher Regionalschlüssel with the municipal part zeroed; ``GET {base}/{provider}/mapData.json``
lists a provider's warnings nationwide (read only for the providers a source names);
``GET {base}/warnings/{id}.json``
is one warning as CAP-like JSON, ``{id}.geojson`` maybe its shape. The JSON is CAP's structure
with looser habits: "DE" as a language, HTML in descriptions, several references inside one
triple, and the warned municipalities as a parameter ("warnVerwaltungsbereiche") instead of
geocodes. ``alert_from_json`` turns it into an ``Alert`` like the XML reader's.
"""

from __future__ import annotations

import html
import json
import logging
import math
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from stadtbote.cap import reader
from stadtbote.cap.alert import MSG_TYPES, STATUSES, Alert, Area, CapError, Info, Reference
from stadtbote.cap.fetch import Client, FetchError
from stadtbote.cap.models import WarningSource
from stadtbote.cap.sources import Document, Harvest, Seen, SourceError

log = logging.getLogger(__name__)

MAX_REFERENCES_TEXT = 4000
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")
MAX_ITEMS = 1000  # warnings on one district's dashboard; a real one has a handful
# The providers whose nationwide lists (mapData) a source may read; the name goes into a URL.
PROVIDERS = ("mowas", "katwarn", "biwapp", "dwd", "lhp", "police")
MAX_MAP_ITEMS = 20_000
MAX_MAP_BYTES = 16 * 1024 * 1024
MAX_NEW_FROM_MAPS = 100
MAX_INFOS = 20
MAX_AREAS = 500
MAX_CODES = 5000  # municipalities in warnVerwaltungsbereiche (Germany has about 11 000)
MAX_POINTS = 200_000  # in all polygons of one GeoJSON answer
# Ids go into URL paths: letters, digits, dots, dashes and underscores only, no "/".
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,250}")
_ARS = re.compile(r"\d{12}")
_LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
# One reference: senders, identifiers, sent. MoWaS writes several references inside one
# triple ("A B,mow.A mow.B,2020-04-03T00:00:00+00:00"), so senders and identifiers may hold
# spaces; the sent time never does, which is where one triple ends.
_REFERENCE = re.compile(r"\s*([^,]+?)\s*,\s*([^,]+?)\s*,\s*([^\s,]+)")


def district_ars(code: str) -> str:
    """The district (Kreis) key a municipality's ARS belongs to: Hamburg (02) and Berlin (11)
    are a Land and a municipality at once, so only their Land part remains."""
    if not _ARS.fullmatch(code):
        raise SourceError(f"{code!r} is not a 12-digit Amtlicher Regionalschlüssel")
    return code[:2] + "0" * 10 if code[:2] in ("02", "11") else code[:5] + "0" * 7


def harvest(source: WarningSource, client: Client, seen: Seen) -> Harvest:
    town = next((str(c) for c in source.codes if _ARS.fullmatch(str(c))), None)
    if town is None:
        raise SourceError("the source needs the town's 12-digit ARS in its codes")
    base = source.url.rstrip("/")
    got = client.fetch(
        f"{base}/dashboard/{district_ars(town)}.json",
        etag=source.etag,
        last_modified=source.last_modified,
        max_bytes=reader.MAX_BYTES,
    )
    providers = [p for p in source.providers if p in PROVIDERS]
    if got.status == 304 and not providers:
        return Harvest(304, got.etag, got.last_modified, [])
    ids = dashboard_ids(got.body) if got.status != 304 else []
    # The dashboard lists all there is for the district; a nationwide map can list hundreds,
    # so only so many of its new warnings are fetched per poll (the rest follow next time).
    fresh: list[str] = []
    for provider in providers:
        listed = client.fetch(f"{base}/{provider}/mapData.json", max_bytes=MAX_MAP_BYTES)
        fresh += map_ids(listed.body)
    known = seen(list(dict.fromkeys(ids + fresh)))
    fresh = [i for i in dict.fromkeys(fresh) if i not in known and i not in ids]
    result = Harvest(200, got.etag, got.last_modified, [])
    result.skipped = len(known)
    new = [i for i in ids if i not in known] + fresh[:MAX_NEW_FROM_MAPS]
    result.documents = _documents(client, base, new)
    return result


def map_ids(body: bytes) -> list[str]:
    """A provider's mapData: every current warning nationwide, as [{"id", "version",
    "startDate", "severity", "type", "i18nTitle"}, ...]; ids oldest first."""
    items = _json(body)
    if not isinstance(items, list):
        raise SourceError("mapData is not a JSON list")
    if len(items) > MAX_MAP_ITEMS:
        raise SourceError(f"mapData lists {len(items)} warnings, at most {MAX_MAP_ITEMS}")
    found: dict[str, datetime] = {}
    for item in items:
        warning_id = item.get("id") if isinstance(item, dict) else None
        if not (isinstance(warning_id, str) and _ID.fullmatch(warning_id)):
            continue
        try:
            start = _time(_str(item.get("startDate")), "startDate")
        except CapError:
            start = _LONG_AGO
        found.setdefault(warning_id, start)
    return sorted(found, key=found.__getitem__)


def dashboard_ids(body: bytes) -> list[str]:
    """The warnings' ids, oldest first: an update then comes after the warning it updates,
    so the relay sends it as that warning's update."""
    items = _json(body)
    if not isinstance(items, list):
        raise SourceError("the dashboard is not a JSON list")
    if len(items) > MAX_ITEMS:
        raise SourceError(f"the dashboard lists {len(items)} warnings, at most {MAX_ITEMS}")
    found: dict[str, datetime] = {}
    for item in items:
        payload = item.get("payload") if isinstance(item, dict) else None
        warning_id = item.get("id") if isinstance(item, dict) else None
        if warning_id is None and isinstance(payload, dict):
            warning_id = payload.get("id")
        if not (isinstance(warning_id, str) and _ID.fullmatch(warning_id)):
            log.warning("warnung.bund.de: skipping a dashboard item without a usable id")
            continue
        try:
            sent = _time(_str(item.get("sent")), "sent")
        except CapError:
            sent = _LONG_AGO
        found.setdefault(warning_id, sent)
    return sorted(found, key=found.__getitem__)  # stable: the portal's order among equals


def _documents(client: Client, base: str, ids: list[str]) -> Iterator[Document]:
    # Lazy: the first new warning is relayed before the next one is fetched.
    for warning_id in ids:
        try:
            got = client.fetch(f"{base}/warnings/{warning_id}.json", max_bytes=reader.MAX_BYTES)
            alert = alert_from_json(_json(got.body, CapError))
        except FetchError as exc:
            if not exc.permanent:
                raise  # the whole poll is repeated, this warning with it
            yield Document(warning_id, _failing(CapError(f"not fetched: {exc}")))
            continue
        except CapError as exc:
            yield Document(warning_id, _failing(exc))
            continue
        if not any(a.polygons or a.circles for i in alert.infos for a in i.areas):
            add_shape(alert, _geojson(client, base, warning_id))
        yield Document(warning_id, _ready(alert))


def _ready(alert: Alert) -> Callable[[], Alert]:
    return lambda: alert


def _failing(exc: CapError) -> Callable[[], Alert]:
    def read() -> Alert:
        raise exc

    return read


def _geojson(client: Client, base: str, warning_id: str) -> list[reader.Ring]:
    """The warning's shape if the portal has one; without it the municipality keys still
    place the warning, so any failure here only costs precision."""
    try:
        got = client.fetch(f"{base}/warnings/{warning_id}.geojson", max_bytes=reader.MAX_BYTES)
        return polygons_from_geojson(_json(got.body, CapError))
    except (FetchError, CapError) as exc:
        log.info("warnung.bund.de: no shape for %s: %s", warning_id, exc)
        return []


def add_shape(alert: Alert, rings: list[reader.Ring]) -> None:
    """Put the rings into the first area of each info, so the relay clips them to the town."""
    if not rings:
        return
    for info in alert.infos:
        if not info.areas:
            info.areas.append(Area(""))
        info.areas[0].polygons.extend(rings)


def polygons_from_geojson(obj: Any) -> list[reader.Ring]:
    """The outer rings of the polygons in a GeoJSON Feature, FeatureCollection, Polygon or
    MultiPolygon (RFC 7946: [lon, lat] positions). Anything else, or anything malformed, is
    left out: holes only make the shape smaller, and a shape is optional here."""
    if not isinstance(obj, dict):
        return []
    kind = obj.get("type")
    if kind == "FeatureCollection":
        features = obj.get("features")
        geometries = [f.get("geometry") for f in _list(features) if isinstance(f, dict)]
    elif kind == "Feature":
        geometries = [obj.get("geometry")]
    else:
        geometries = [obj]
    outlines = []
    for geometry in geometries:
        if not isinstance(geometry, dict):
            continue
        coordinates = geometry.get("coordinates")
        if geometry.get("type") == "Polygon":
            outlines.append(_list(coordinates)[:1])
        elif geometry.get("type") == "MultiPolygon":
            outlines.append([p[0] for p in _list(coordinates) if isinstance(p, list) and p])
    rings: list[reader.Ring] = []
    points = 0
    for outline in outlines:
        for raw in outline:
            ring = _ring(raw)
            points += len(ring or ())
            if points > MAX_POINTS:
                return rings
            if ring:
                rings.append(ring)
    return rings


def _ring(raw: Any) -> reader.Ring | None:
    ring = []
    raw = _list(raw)
    if len(raw) > reader.MAX_POLYGON_POINTS:
        return None  # see reader.MAX_POLYGON_POINTS: repairing it could take minutes
    for position in raw:
        if not (isinstance(position, list) and len(position) >= 2):
            return None
        lon, lat = position[0], position[1]
        if not all(type(v) in (int, float) and math.isfinite(v) for v in (lon, lat)):
            return None
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            return None
        ring.append((float(lon), float(lat)))
    return ring if len(ring) >= 4 and ring[0] == ring[-1] else None


def alert_from_json(obj: Any) -> Alert:
    """A warning of warnung.bund.de (``/warnings/{id}.json``) as an ``Alert``; ``CapError``
    when a field CAP requires is missing or unreadable."""
    if not isinstance(obj, dict):
        raise CapError("the warning is not a JSON object")
    sent_text = _required(obj, "sent")
    alert = Alert(
        identifier=_required(obj, "identifier")[:300],
        sender=_required(obj, "sender")[:300],
        sent=_time(sent_text, "sent"),
        sent_text=sent_text,
        status=_choice(obj, "status", STATUSES),
        msg_type=_choice(obj, "msgType", MSG_TYPES),
        scope=_required(obj, "scope"),
        source=_str(obj.get("source")),
        restriction=_str(obj.get("restriction")),
        addresses=_str(obj.get("addresses")),
        codes=_strings(obj.get("code")),
        note=_str(obj.get("note")),
        references=parse_references(obj.get("references")),
        incidents=_str(obj.get("incidents")),
        infos=[_info(i) for i in _list(obj.get("info"))[:MAX_INFOS] if isinstance(i, dict)],
    )
    return alert


def parse_references(value: Any) -> list[Reference]:
    """CAP references, also in MoWaS's form with several inside one triple; what cannot be
    read is left out (the warning then stands alone instead of being lost)."""
    text = " ".join(_strings(value)) if isinstance(value, list) else _str(value)
    # The pattern backtracks on long runs without commas; real reference lists are short.
    text = text[:MAX_REFERENCES_TEXT]
    references = []
    for match in _REFERENCE.finditer(text):
        senders, identifiers, sent = match.group(1).split(), match.group(2).split(), match[3]
        for number, identifier in enumerate(identifiers):
            sender = senders[min(number, len(senders) - 1)]
            references.append(Reference(sender=sender, identifier=identifier, sent=sent))
    return references


def _one_of(value: Any, allowed: tuple[str, ...]) -> str:
    text = _str(value).capitalize()
    return text if text in allowed else "Unknown"


def plain_text(value: Any) -> str:
    """A description as plain text: <br/> become line breaks, other tags go, entities are
    decoded (the citizen app escapes it again)."""
    text = _BREAK.sub("\n", _str(value))
    text = html.unescape(_TAG.sub("", text))
    return "\n".join(line.strip() for line in text.splitlines()).strip()


def _info(obj: dict[str, Any]) -> Info:
    parameters = _pairs(obj.get("parameter"))
    headline = _str(obj.get("headline"))
    info = Info(
        # The portal writes "DE", "de-DE" or nothing; it is a German portal.
        language=_str(obj.get("language")) or "de-DE",
        categories=_strings(obj.get("category")),
        event=_str(obj.get("event")) or headline,
        # The portal's values are CAP's; anything else would not fit our records.
        severity=_one_of(obj.get("severity"), SEVERITIES),
        urgency=_one_of(obj.get("urgency"), URGENCIES),
        certainty=_one_of(obj.get("certainty"), CERTAINTIES),
        response_types=_strings(obj.get("responseType")),
        audience=_str(obj.get("audience")),
        event_codes=_pairs(obj.get("eventCode")),
        effective=_optional_time(obj.get("effective"), "effective"),
        onset=_optional_time(obj.get("onset"), "onset"),
        expires=_optional_time(obj.get("expires"), "expires"),
        sender_name=_str(obj.get("senderName"))
        or next((v for n, v in parameters if n == "sender_langname"), ""),
        headline=headline,
        description=plain_text(obj.get("description")),
        instruction=plain_text(obj.get("instruction")),
        web=_str(obj.get("web")),
        contact=_str(obj.get("contact")),
        parameters=parameters,
        areas=[_area(a) for a in _list(obj.get("area"))[:MAX_AREAS] if isinstance(a, dict)],
    )
    if not info.event:
        raise CapError("an info has neither event nor headline")
    # The warned municipalities, as geocodes the relay matches against the town's ARS.
    codes = []
    for value in info.parameter("warnVerwaltungsbereiche"):
        codes += [c for c in re.split(r"[\s,;]+", value) if _ARS.fullmatch(c)]
    codes = list(dict.fromkeys(codes))[:MAX_CODES]
    if codes and not info.areas:
        info.areas.append(Area(""))
    for area in info.areas:
        have = set(area.geocode("ARS"))
        area.geocodes += [("ARS", c) for c in codes if c not in have]
    return info


def _area(obj: dict[str, Any]) -> Area:
    area = Area(_str(obj.get("areaDesc")), geocodes=_pairs(obj.get("geocode")))
    for text in _strings(obj.get("polygon")):
        try:
            area.polygons.append(reader.parse_polygon(text))
        except CapError as exc:  # the municipality keys still place the warning
            log.info("warnung.bund.de: skipping a polygon of %r: %s", area.description, exc)
    for text in _strings(obj.get("circle")):
        try:
            area.circles.append(reader.parse_circle(text))
        except CapError as exc:
            log.info("warnung.bund.de: skipping a circle of %r: %s", area.description, exc)
    return area


def _json(body: bytes, error: type[Exception] = SourceError) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise error(f"not JSON: {str(exc)[:100]}") from None


def _str(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _strings(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [s for s in (_str(v) for v in values) if s]


def _pairs(value: Any) -> list[tuple[str, str]]:
    return [
        (_str(p.get("valueName")), _str(p.get("value")))
        for p in _list(value)
        if isinstance(p, dict)
    ]


def _required(obj: dict[str, Any], name: str) -> str:
    value = _str(obj.get(name))
    if not value:
        raise CapError(f"the warning has no {name}")
    return value


def _choice(obj: dict[str, Any], name: str, allowed: tuple[str, ...]) -> str:
    value = _required(obj, name)
    if value not in allowed:
        raise CapError(f"{name} {value[:40]!r} is not one of {', '.join(allowed)}")
    return value


def _time(text: str, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise CapError(f"{name} is not a date and time: {text[:40]!r}") from None
    if value.tzinfo is None:
        raise CapError(f"{name} has no offset from UTC: {text[:40]!r}")
    if not reader.MIN_YEAR <= value.year <= reader.MAX_YEAR:
        raise CapError(f"{name} is out of range: {text[:40]!r}")
    return value


def _optional_time(value: Any, name: str) -> datetime | None:
    text = _str(value)
    return _time(text, name) if text else None
