"""The town's own messages as CAP 1.2 documents, and an Atom index of them for aggregators.

Decisions (the OASIS CAP 1.2 standard leaves them to the sender):

- ``identifier`` is ``{host}.{tenant slug}.{message uuid}``, ``host`` taken from
  ``settings.PUBLIC_URL`` (passed in as ``base_url``): stable, unique across installations and
  towns, and made only of letters, digits, ``.`` and ``-`` (CAP forbids spaces, commas, ``<``
  and ``&``). ``sender`` is ``{tenant slug}@{host}``, so aggregators can tell towns apart.
- ``sent`` is ``published_at`` (``created_at`` as a fallback) in the town's time zone with a
  numeric offset and without fractional seconds: the schema's pattern allows neither ``Z`` nor
  fractions. References repeat it exactly, so each earlier version's triple matches the
  ``sent`` of its own document.
- ``msgType`` is ``Alert`` for an original and ``Update`` when the message replaces earlier
  ones; ``references`` lists the whole chain of earlier versions, oldest first. A withdrawn
  message is served as a ``Cancel``: a new alert with the identifier ``{identifier}.cancel``,
  ``sent`` = ``cancelled_at``, referencing the chain and the withdrawn message itself. A
  withdrawn message that was never published (a held draft) has no CAP document at all, nor
  do drafts and scheduled messages (``NotPublished``).
- One ``<info>`` per language of the title ("de" → "de-DE", "en" → "en-GB", others as they
  are), the town's default language first. ``category`` is always ``Other``: we do not know
  whether a message is about weather or safety, even when relayed. ``certainty`` is
  ``Observed`` for the town's own messages and ``Likely`` for relayed official warnings, whose
  issuer (``source_name``) becomes ``senderName``.
- ``<area>``: a shape's, the districts' or the town's outline as polygons (outer rings only:
  CAP cannot express holes, so a hole is covered too, which errs on the side of warning),
  a circle as ``lat,lon radius_km``. Coordinates have 6 decimals (about 0.1 m); rings with
  more than ``MAX_RING_POINTS`` points are simplified, since aggregators choke on huge
  documents. ``areaDesc`` is written here with the same gettext strings as the message page
  (``web/areas.py``) rather than importing it: domain code never imports the web layer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import shapely
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from lxml import etree
from lxml.builder import ElementMaker
from shapely.geometry.base import BaseGeometry

from stadtbote.core.severity import Severity
from stadtbote.geo import service as geo
from stadtbote.geo.models import District
from stadtbote.messages.models import Message, MessageStatus
from stadtbote.tenants.models import Municipality, Topic

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
CAP = ElementMaker(namespace=CAP_NS, nsmap={None: CAP_NS})
ATOM = ElementMaker(namespace=ATOM_NS, nsmap={None: ATOM_NS})
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

MAX_RING_POINTS = 1000
FEED_DAYS = 30
FEED_LIMIT = 100
SUMMARY_CHARS = 300
# Guards against a cycle in ``replaces`` (the API never makes one, the admin could).
MAX_CHAIN = 50
LANGUAGE_TAGS = {"de": "de-DE", "en": "en-GB"}
# Indexed by ``Severity`` (info, minor, moderate, severe, extreme).
CAP_SEVERITY = ("Unknown", "Minor", "Moderate", "Severe", "Extreme")
URGENCY = ("Unknown", "Expected", "Expected", "Immediate", "Immediate")


class NotPublished(LookupError):
    """The message has no CAP document: a draft, scheduled, or withdrawn before publication."""


# ---- identity -------------------------------------------------------------------------------


def host(base_url: str) -> str:
    return urlsplit(base_url).hostname or "localhost"


def identifier(message: Message, *, base_url: str) -> str:
    return f"{host(base_url)}.{message.tenant.slug}.{message.id}"


def sender(tenant: Municipality, *, base_url: str) -> str:
    return f"{tenant.slug}@{host(base_url)}"


def cap_time(moment: datetime, tenant: Municipality) -> str:
    """The town's offset, whole seconds, never "Z" (e.g. "2026-03-01T10:00:00+01:00")."""
    return moment.astimezone(ZoneInfo(tenant.timezone)).replace(microsecond=0).isoformat()


def sent_at(message: Message) -> datetime:
    return message.published_at or message.created_at


def is_published(message: Message) -> bool:
    return message.published_at is not None and message.status in (
        MessageStatus.PUBLISHED,
        MessageStatus.CANCELLED,
    )


def msg_type(message: Message, chain: list[Message] | None = None) -> str:
    """``chain``: ``earlier_versions(message)``, where the caller has it already."""
    if message.status == MessageStatus.CANCELLED:
        return "Cancel"
    return "Update" if (earlier_versions(message) if chain is None else chain) else "Alert"


def earlier_versions(message: Message) -> list[Message]:
    """The messages this one replaces, directly or through others, oldest first; only those
    that were published (only they had a CAP document to refer to)."""
    chain: list[Message] = []
    seen = {message.pk}
    current = message.replaces
    while current is not None and current.pk not in seen and len(seen) <= MAX_CHAIN:
        seen.add(current.pk)
        if is_published(current):
            chain.append(current)
        current = current.replaces
    return chain[::-1]


def reference(message: Message, *, base_url: str) -> str:
    """The "sender,identifier,sent" triple of the message's own (Alert or Update) document."""
    return ",".join(
        (
            sender(message.tenant, base_url=base_url),
            identifier(message, base_url=base_url),
            cap_time(sent_at(message), message.tenant),
        )
    )


def urls(message: Message, *, base_url: str) -> tuple[str, str]:
    """The CAP document's URL and the message's public page."""
    slug = message.tenant.slug
    return (
        f"{base_url}/cap/{slug}/alerts/{message.id}.xml",
        f"{base_url}/{slug}/messages/{message.id}",
    )


# ---- the alert ------------------------------------------------------------------------------


def alert_xml(message: Message, *, base_url: str) -> bytes:
    """The message's CAP 1.2 document (UTF-8, with XML declaration); a Cancel once withdrawn.

    Raises ``NotPublished`` for a message that was never public.
    """
    if not is_published(message):
        raise NotPublished(str(message.pk))
    tenant = message.tenant
    chain = earlier_versions(message)
    kind = msg_type(message, chain)
    refs = [reference(m, base_url=base_url) for m in chain]
    ident = identifier(message, base_url=base_url)
    sent = sent_at(message)
    if kind == "Cancel":
        refs.append(reference(message, base_url=base_url))
        ident += ".cancel"
        sent = message.cancelled_at or sent
    head: list[Any] = [
        CAP.identifier(ident),
        CAP.sender(sender(tenant, base_url=base_url)),
        CAP.sent(cap_time(sent, tenant)),
        CAP.status("Actual"),
        CAP.msgType(kind),
        CAP.scope("Public"),
    ]
    if refs:
        # Space-separated; a triple never contains a space (see the identifier format).
        head.append(CAP.references(" ".join(refs)))
    shapes = _area_shapes(message)
    topics = list(message.topics.all())
    infos = [_info(message, lang, shapes, topics, base_url) for lang in languages(message)]
    doc = CAP.alert(*head, *infos)
    return etree.tostring(doc, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def languages(message: Message) -> list[str]:
    default = message.tenant.default_language
    langs = list(message.title)
    return sorted(langs, key=lambda lang: (lang != default, langs.index(lang)))


def xml_text(text: str) -> str:
    """``text`` without the control characters XML 1.0 cannot carry (lxml refuses them): one
    pasted into a message must not take the town's whole feed down."""
    return _NOT_XML.sub("", text)


def language_tag(lang: str) -> str:
    return LANGUAGE_TAGS.get(lang, lang)


def _info(message: Message, lang: str, shapes: _Shapes, topics: list[Topic], base_url: str) -> Any:
    tenant = message.tenant
    severity = Severity(message.severity)
    relayed = bool(message.source_name)
    with translation.override(lang):
        event = xml_text((topics[0].name.get(lang) if topics else None) or _("Notice"))
        area_desc = xml_text(_area_desc(message, lang, shapes))
    parts: list[Any] = [
        CAP.language(language_tag(lang)),
        CAP.category("Other"),
        CAP.event(event),
        CAP.urgency(URGENCY[severity]),
        CAP.severity(CAP_SEVERITY[severity]),
        CAP.certainty("Likely" if relayed else "Observed"),
    ]
    if message.expires_at:
        parts.append(CAP.expires(cap_time(message.expires_at, tenant)))
    parts.append(CAP.senderName(xml_text(message.source_name if relayed else tenant.name)))
    parts.append(CAP.headline(xml_text(message.title[lang])))
    # Only texts in this info's language: a German body under "en-GB" would mislabel it.
    if message.body.get(lang):
        parts.append(CAP.description(xml_text(message.body[lang])))
    if (message.instruction or {}).get(lang):
        parts.append(CAP.instruction(xml_text(message.instruction[lang])))
    parts.append(CAP.web(urls(message, base_url=base_url)[1]))
    if tenant.contact_email:
        parts.append(CAP.contact(tenant.contact_email))
    area = [CAP.areaDesc(area_desc)]
    area += [CAP.polygon(p) for p in shapes.polygons]
    area += [CAP.circle(c) for c in shapes.circles]
    parts.append(CAP.area(*area))
    return CAP.info(*parts)


# ---- the area -------------------------------------------------------------------------------


class _Shapes:
    """What the area looks like in CAP, the same for every language."""

    def __init__(self) -> None:
        self.polygons: list[str] = []
        self.circles: list[str] = []
        self.districts: list[tuple[dict[str, str], str]] = []  # (name per language, slug)


def _area_shapes(message: Message) -> _Shapes:
    area = message.area or {}
    kind = area.get("kind", "town")
    shapes = _Shapes()
    if kind == "shape":
        shapes.polygons = polygons(shapely.geometry.shape(area["geometry"]))
    elif kind == "districts":
        rows = District.objects.filter(tenant_id=message.tenant_id, slug__in=area.get("slugs", []))
        for d in rows:
            shapes.polygons += polygons(shapely.geometry.shape(d.geometry))
            shapes.districts.append((d.name, d.slug))
    elif kind == "circle":
        radius_km = float(area["radius_m"]) / 1000
        shapes.circles = [f"{_num(area['lat'])},{_num(area['lon'])} {_num(radius_km)}"]
    else:
        outline = geo.boundary(message.tenant)
        if outline is not None:
            shapes.polygons = polygons(outline)
    return shapes


def _area_desc(message: Message, lang: str, shapes: _Shapes) -> str:
    """In the active language; the msgids are those of ``web/areas.py``, so translated."""
    area = message.area or {}
    kind = area.get("kind", "town")
    default = message.tenant.default_language
    if kind == "districts":
        names = sorted(n.get(lang) or n.get(default) or slug for n, slug in shapes.districts)
        return ngettext("District %(names)s", "Districts %(names)s", len(names)) % {
            "names": ", ".join(names)
        }
    if kind == "circle":
        return _("Within %(radius)s m of the marked point") % {
            "radius": _num(float(area["radius_m"]))
        }
    if kind == "shape":
        return _("The area marked on the map")
    # An aggregator lists alerts from many places: the town's name says more than "all of it".
    return message.tenant.name


def polygons(geometry: BaseGeometry) -> list[str]:
    """CAP polygons ("lat,lon lat,lon …", closed, ≥ 4 points) of every polygon's outer ring."""
    result = []
    for part in shapely.get_parts(geometry):
        if not isinstance(part, shapely.Polygon) or part.is_empty:
            continue  # points and lines in a collection have no area to warn
        points = _thin(part)
        if len(points) >= 4:
            result.append(" ".join(f"{lat},{lon}" for lon, lat in points))
    return result


def _thin(polygon: shapely.Polygon) -> list[tuple[str, str]]:
    """The outer ring, simplified to at most ``MAX_RING_POINTS``, rounded, closed."""
    shell = shapely.Polygon(polygon.exterior)
    tolerance = 1e-5  # degrees, about a metre
    for _attempt in range(60):  # the tolerance doubles: 60 steps reach any extent
        if len(shell.exterior.coords) <= MAX_RING_POINTS:
            break
        shell = shapely.Polygon(polygon.exterior).simplify(tolerance, preserve_topology=True)
        tolerance *= 2
    points: list[tuple[str, str]] = []
    for lon, lat in shell.exterior.coords:
        point = (_num(lon), _num(lat))
        if not points or points[-1] != point:  # rounding can merge neighbours
            points.append(point)
    if points and points[0] != points[-1]:
        points.append(points[0])
    return points


def _num(value: float) -> str:
    text = f"{float(value):.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# ---- the Atom index -------------------------------------------------------------------------


def recent(tenant: Municipality, *, now: datetime | None = None) -> list[Message]:
    """What the feed lists: messages published or withdrawn in the last ``FEED_DAYS`` days,
    newest change first, at most ``FEED_LIMIT``."""
    since = (now or timezone.now()) - timedelta(days=FEED_DAYS)
    return list(
        Message.objects.filter(
            tenant=tenant,
            status__in=(MessageStatus.PUBLISHED, MessageStatus.CANCELLED),
            published_at__isnull=False,
        )
        .annotate(changed=Coalesce("cancelled_at", "published_at"))
        .filter(Q(changed__gte=since))
        .select_related("tenant")
        .order_by("-changed", "-id")[:FEED_LIMIT]
    )


def changed_at(message: Message) -> datetime:
    # cancelled_at is always the later one: a message is withdrawn after it was published.
    return message.cancelled_at or sent_at(message)


def atom(tenant: Municipality, messages: Iterable[Message], *, base_url: str) -> bytes:
    """An Atom feed (RFC 4287) of ``messages``, in the given order, linking their CAP documents.

    Deterministic for the same data (no "now" in it), so its hash serves as the ETag.
    """
    items = list(messages)
    feed_url = f"{base_url}/cap/{tenant.slug}/feed.atom"
    lang = tenant.default_language
    with translation.override(lang):
        title = xml_text(_("%(name)s: warnings and messages (CAP)") % {"name": tenant.name})
        entries = [_entry(m, lang, base_url) for m in items]
    newest = max((changed_at(m) for m in items), default=tenant.created_at)
    feed = ATOM.feed(
        ATOM.id(feed_url),
        ATOM.title(title),
        ATOM.updated(cap_time(newest, tenant)),
        ATOM.link(rel="self", type="application/atom+xml", href=feed_url),
        ATOM.link(rel="alternate", type="text/html", href=f"{base_url}/{tenant.slug}/"),
        ATOM.author(ATOM.name(xml_text(tenant.name))),
        ATOM.generator("Stadtbote"),
        *entries,
    )
    feed.set(XML_LANG, lang)
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _entry(message: Message, lang: str, base_url: str) -> Any:
    tenant = message.tenant
    chosen = lang if lang in message.title else languages(message)[0]
    title = xml_text(message.title[chosen])
    if message.status == MessageStatus.CANCELLED:
        title = _("Withdrawn: %(title)s") % {"title": title}
    cap_url, page_url = urls(message, base_url=base_url)
    parts: list[Any] = [
        # A tag URI (RFC 4151) per message: the entry stays the same entry when withdrawn,
        # while its CAP document turns into the Cancel.
        ATOM.id(f"tag:{host(base_url)},2026:{tenant.slug}/{message.id}"),
        ATOM.title(title),
        ATOM.updated(cap_time(changed_at(message), tenant)),
        ATOM.published(cap_time(sent_at(message), tenant)),
    ]
    summary = message.body.get(chosen) or message.body.get(tenant.default_language, "")
    if summary:
        parts.append(ATOM.summary(xml_text(Truncator(summary).chars(SUMMARY_CHARS))))
    parts += [
        ATOM.link(rel="alternate", type="application/cap+xml", href=cap_url),
        ATOM.link(rel="related", type="text/html", href=page_url),
        ATOM.category(term=CAP_SEVERITY[Severity(message.severity)]),
    ]
    entry = ATOM.entry(*parts)
    if chosen != lang:
        entry.set(XML_LANG, chosen)
    return entry
