"""Relaying an official warning to the town's citizens: once, only where it applies, as an
update where it updates, as the all-clear where it cancels, and by the town's relay rule.

Every alert a town receives is one ``ReceivedAlert`` row, whatever the outcome, so staff can
see why a warning did or did not go out. The row is written first, in the same transaction as
the message: a second worker (or a second source with the same warning) fails on the unique
key and sends nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import shapely
from django.db import IntegrityError, transaction
from django.utils import timezone
from shapely.geometry.base import BaseGeometry

from stadtbote.cap import geometry
from stadtbote.cap.alert import Alert, Info
from stadtbote.cap.models import Outcome, ReceivedAlert, WarningSource
from stadtbote.core.errors import InvalidInput
from stadtbote.core.tasks import enqueue_on_commit
from stadtbote.delivery import dispatch
from stadtbote.delivery.approval_requests import ask_for_approval
from stadtbote.geo import service as geo
from stadtbote.geo.shapes import to_geojson
from stadtbote.messages import service as messages
from stadtbote.messages.models import Message, MessageStatus
from stadtbote.tenants.models import Municipality

log = logging.getLogger(__name__)

# warnung.bund.de prefixes the identifiers of what it relays; without them, a DWD warning polled
# there and at the DWD is recognised as one.
PORTAL_PREFIXES = ("dwdmap.", "dwd.", "mow.", "kat.", "biw.", "lhp.", "pol.")
CAP_LEVELS = {
    "Extreme": "extreme",
    "Severe": "severe",
    "Moderate": "moderate",
    "Minor": "minor",
    "Unknown": "info",
}
RANK = {"info": 0, "minor": 1, "moderate": 2, "severe": 3, "extreme": 4}
# Area edges are kept to about this many metres: the targeting needs no finer shape, and the
# message page loads it.
SIMPLIFY_M = 10.0


@dataclass(frozen=True)
class Handled:
    outcome: str
    reason: str = ""
    message_id: str | None = None
    duplicate: bool = False


# The DWD ends its identifiers with the document's language: ".DEU" at the DWD, ".MUL" at
# warnung.bund.de, ".ENG" in its English feed. Without it, one warning is one key.
DWD_LANGUAGE_SUFFIXES = (".DEU", ".MUL", ".ENG")


def alert_key(identifier: str) -> str:
    for prefix in PORTAL_PREFIXES:
        if identifier.startswith(prefix):
            identifier = identifier[len(prefix) :]
            break
    if ".DWD." in identifier and identifier.endswith(DWD_LANGUAGE_SUFFIXES):
        return identifier[:-4]
    return identifier


def level(source: WarningSource | None, cap_severity: str) -> str:
    custom = (source.severity_map if source else {}) or {}
    chosen = custom.get(cap_severity) or CAP_LEVELS.get(cap_severity, "info")
    return chosen if chosen in RANK else "info"


def language(code: str) -> str:
    """CAP writes "de-DE"; our texts are keyed by "de"."""
    return (code or "en-US").split("-", 1)[0].lower()


def texts_by_language(tenant: Municipality, infos: list[Info]) -> dict[str, Info]:
    """One info per language the town publishes in; the first info stands in for the default
    language when none is written in it (a warning in English only still reaches everyone)."""
    chosen: dict[str, Info] = {}
    for info in infos:
        lang = language(info.language)
        if lang in tenant.languages and lang not in chosen:
            chosen[lang] = info
    if tenant.default_language not in chosen and infos:
        chosen[tenant.default_language] = infos[0]
    return chosen


def relay(
    tenant: Municipality,
    source: WarningSource | None,
    alert: Alert,
    now: datetime | None = None,
) -> Handled:
    """Handle one alert for one town; safe to call twice with the same alert (the second call
    answers ``duplicate=True`` and sends nothing)."""
    now = now or timezone.now()
    key = alert_key(alert.identifier)
    earlier = ReceivedAlert.objects.filter(tenant=tenant, key=key).first()
    if earlier is not None:
        return Handled(earlier.outcome, earlier.reason, _id(earlier.message_id), duplicate=True)
    try:
        with transaction.atomic():
            row = _record(tenant, source, alert, key)
            handled = _decide(tenant, source, alert, now)
            row.outcome, row.reason = handled.outcome, handled.reason[:300]
            row.message_id = handled.message_id
            row.save(update_fields=["outcome", "reason", "message"])
    except IntegrityError:  # another worker or source took it a moment ago
        earlier = ReceivedAlert.objects.filter(tenant=tenant, key=key).first()
        outcome = earlier.outcome if earlier else Outcome.IGNORED
        return Handled(outcome, "received twice", duplicate=True)
    log.info("CAP %s for %s: %s %s", alert.identifier, tenant.slug, handled.outcome, handled.reason)
    return handled


def _id(value: object) -> str | None:
    return str(value) if value else None


def _record(
    tenant: Municipality, source: WarningSource | None, alert: Alert, key: str
) -> ReceivedAlert:
    first = alert.infos[0] if alert.infos else None
    return ReceivedAlert.objects.create(
        tenant=tenant,
        source=source,
        key=key,
        identifier=alert.identifier[:300],
        sender=alert.sender[:300],
        sent=alert.sent,
        sent_text=alert.sent_text[:40],
        msg_type=alert.msg_type,
        status=alert.status,
        severity=first.severity if first else "",
        event=(first.event if first else "")[:200],
        headline=(first.headline if first else "")[:300],
        expires=first.expires if first else None,
        references=[[r.sender, r.identifier, r.sent] for r in alert.references],
        outcome=Outcome.IGNORED,  # until decided, in this same transaction
    )


def _decide(
    tenant: Municipality, source: WarningSource | None, alert: Alert, now: datetime
) -> Handled:
    if alert.status != "Actual":
        return Handled(Outcome.NOT_ACTUAL, f"status {alert.status}")
    if alert.scope != "Public":
        return Handled(Outcome.NOT_ACTUAL, f"scope {alert.scope}")
    if alert.msg_type not in ("Alert", "Update", "Cancel"):
        return Handled(Outcome.IGNORED, f"msgType {alert.msg_type}")
    earlier = _referenced_message(tenant, alert)
    if alert.msg_type == "Cancel":
        return _cancel(earlier)
    infos = texts_by_language(tenant, alert.infos)
    if not infos:
        return Handled(Outcome.IGNORED, "no info block")
    main = infos[tenant.default_language]
    if main.expires is not None and main.expires <= now:
        return Handled(Outcome.EXPIRED, f"expired {main.expires.isoformat()}")
    here, area, reason = _area_here(tenant, source, main)
    if not here:
        return Handled(Outcome.NOT_HERE, reason)
    wanted = level(source, main.severity)
    floor = source.ignore_below if source else ""
    if floor in RANK and RANK[wanted] < RANK[floor]:
        return Handled(Outcome.IGNORED, f"{wanted} is below {floor}")
    auto = source.auto_from if source else "severe"
    hold = auto not in RANK or RANK[wanted] < RANK[auto]
    try:
        message = _message(tenant, source, alert, infos, wanted, area, earlier, hold)
    except InvalidInput as exc:  # e.g. the warned area only touches the tolerance band
        return Handled(Outcome.NOT_HERE, f"not relayable: {exc.detail}")
    if hold:
        enqueue_on_commit(ask_for_approval, str(message.pk))
        return Handled(Outcome.HELD, f"{wanted} waits for a publisher", str(message.pk))
    dispatch.submit(message)
    kind = "update" if message.replaces_id else "alert"
    return Handled(Outcome.RELAYED, f"{kind} at {wanted}", str(message.pk))


def _referenced_message(tenant: Municipality, alert: Alert) -> Message | None:
    """The newest message of the warnings this one refers to, followed to its latest update."""
    keys = [alert_key(r.identifier) for r in alert.references]
    if not keys:
        return None
    rows = ReceivedAlert.objects.filter(tenant=tenant, key__in=keys, message__isnull=False)
    found = Message.objects.filter(pk__in=rows.values("message_id")).order_by("-created_at")
    message = found.first()
    while message is not None:
        newer = Message.objects.filter(replaces=message).order_by("-created_at").first()
        if newer is None:
            break
        message = newer
    return message


def _cancel(earlier: Message | None) -> Handled:
    if earlier is None:
        return Handled(Outcome.IGNORED, "cancels a warning this town did not relay")
    if earlier.status == MessageStatus.CANCELLED:
        return Handled(Outcome.IGNORED, "already withdrawn", str(earlier.pk))
    dispatch.cancel(earlier)
    return Handled(Outcome.CANCELLED, "all-clear sent", str(earlier.pk))


def _area_here(
    tenant: Municipality, source: WarningSource | None, info: Info
) -> tuple[bool, dict[str, Any] | None, str]:
    """Whether the warning concerns the town, and its message area: the part of the warned
    area inside the town as GeoJSON, or None for the whole town (matched by a geocode)."""
    shape = geometry.info_geometry(info)
    if shape is not None:
        inside = _clip(tenant, shape)
        if inside is not None:
            return True, to_geojson(inside), ""
    codes = [str(c) for c in (source.codes if source else [])]
    for area in info.areas:
        for _name, value in area.geocodes:
            if any(covers(value, code) for code in codes):
                return True, None, ""
    if shape is None:
        return False, None, "no geometry, and no geocode of this town"
    return False, None, "the warned area does not reach the town"


def covers(geocode: str, town_code: str) -> bool:
    """A geocode covers the town if equal, or if it is a key of a larger unit: ARS/SHN keys
    of a district (Kreis) or Land end in zeros (059740000000 covers 059740028028)."""
    if geocode == town_code:
        return True
    if len(geocode) == len(town_code) == 12 and geocode.isdigit():
        stem = geocode.rstrip("0")
        return len(stem) >= 2 and town_code.startswith(stem)
    return False


def _clip(tenant: Municipality, shape: BaseGeometry) -> BaseGeometry | None:
    outline = geo.boundary(tenant)
    frame = geo.frame(tenant)
    warned = frame.geometry_to_xy(shape)
    if outline is not None:
        # The tolerance: citizens may keep places a little beyond the boundary.
        town = frame.geometry_to_xy(outline).buffer(tenant.tolerance_m)
        warned = shapely.intersection(warned, town)
    if warned.is_empty or warned.area <= 0:
        return None
    simple = warned.simplify(SIMPLIFY_M, preserve_topology=True)
    polygons = shapely.get_parts(shapely.make_valid(simple))
    kept = [p for p in polygons if p.geom_type == "Polygon" and p.area > 0]
    if not kept:
        return None
    return frame.geometry_from_xy(shapely.union_all(kept))


def _message(
    tenant: Municipality,
    source: WarningSource | None,
    alert: Alert,
    infos: dict[str, Info],
    wanted: str,
    area: dict[str, Any] | None,
    earlier: Message | None,
    hold: bool,
) -> Message:
    replaces = None
    if earlier is not None and earlier.status == MessageStatus.DRAFT:
        # The older version was never sent: it gives way quietly to the new one.
        Message.objects.filter(pk=earlier.pk).update(
            status=MessageStatus.CANCELLED, cancelled_at=timezone.now()
        )
    elif earlier is not None:
        replaces = str(earlier.pk)
    expires = infos[tenant.default_language].expires
    data = {
        "title": {
            lang: (i.headline or i.event or alert.identifier)[: messages.MAX_TITLE]
            for lang, i in infos.items()
        },
        "body": {
            lang: _shorten(i.description or i.headline or i.event, messages.MAX_BODY)
            for lang, i in infos.items()
        },
        "severity": wanted,
        "area": area,
        "expires_at": expires.isoformat() if expires else None,
        "replaces": replaces,
        "hold": hold,
    }
    message = messages.create(tenant, data, None)
    main = infos[tenant.default_language]
    # Who issued it (CAP senderName: "Kreis Soest", "Deutscher Wetterdienst"), not the portal
    # or integration that brought it; the source's name only stands in when it is missing.
    message.source_name = main.sender_name or (source.name if source else "") or alert.sender
    message.source_name = message.source_name[:200]
    message.instruction = {
        lang: _shorten(i.instruction, messages.MAX_BODY)
        for lang, i in infos.items()
        if i.instruction
    }
    message.source_url = main.web if main.web.startswith("https://") else ""
    message.save(update_fields=["source_name", "instruction", "source_url"])
    return message


def _shorten(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
