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

from stadtbote.cap import chain, geometry
from stadtbote.cap.alert import Alert, Info
from stadtbote.cap.chain import alert_key, superseded
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
            handled = _decide(tenant, source, alert, key, now)
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
    tenant: Municipality, source: WarningSource | None, alert: Alert, key: str, now: datetime
) -> Handled:
    if alert.status != "Actual":
        return Handled(Outcome.NOT_ACTUAL, f"status {alert.status}")
    if alert.scope != "Public":
        return Handled(Outcome.NOT_ACTUAL, f"scope {alert.scope}")
    if alert.msg_type not in ("Alert", "Update", "Cancel"):
        return Handled(Outcome.IGNORED, f"msgType {alert.msg_type}")
    if superseded(tenant, key, now):
        return Handled(Outcome.IGNORED, "a later version of this warning arrived first")
    versions = chain.find(tenant, alert)
    if alert.msg_type == "Cancel":
        return _cancel(versions)
    if versions.ended:
        return Handled(Outcome.IGNORED, "the warning was already withdrawn")
    infos = texts_by_language(tenant, alert.infos)
    if not infos:
        return Handled(Outcome.IGNORED, "no info block")
    live = versions.live
    expires = _expires(alert.infos)
    if expires is not None and expires <= now:
        return _gone(live, Outcome.EXPIRED, f"expired {expires.isoformat()}")
    here, area, reason = _area_here(tenant, source, alert.infos)
    if not here:
        return _gone(live, Outcome.NOT_HERE, reason)
    wanted = max((level(source, i.severity) for i in alert.infos), key=RANK.__getitem__)
    given_way = []
    for draft in versions.drafts:
        if _withdraw_draft(draft):
            given_way.append(draft)
        elif live is None:  # a publisher approved it a moment ago: it is the live one now
            live = Message.objects.get(pk=draft.pk)
    hold = False
    if live is None:  # a new warning for the town: the relay rule decides
        floor = source.ignore_below if source else ""
        if floor in RANK and RANK[wanted] < RANK[floor]:
            return Handled(Outcome.IGNORED, f"{wanted} is below {floor}")
        auto = source.auto_from if source else "severe"
        hold = auto not in RANK or RANK[wanted] < RANK[auto]
    # else: citizens have the earlier version; they get this one at once, whatever its level
    # (an all-clear sent as a minor update must not wait, nor be dropped by the floor).
    try:
        message = _message(tenant, source, alert, infos, wanted, area, live, expires, hold)
    except InvalidInput as exc:  # e.g. the warned area only touches the tolerance band
        return _gone(live, Outcome.NOT_HERE, f"not relayable: {exc.detail}")
    # The warnings that led to a withdrawn draft now lead to its successor, so a Cancel or
    # Update that refers to them finds the message citizens have.
    ReceivedAlert.objects.filter(tenant=tenant, message__in=given_way).update(message=message)
    if hold:
        enqueue_on_commit(ask_for_approval, str(message.pk))
        return Handled(Outcome.HELD, f"{wanted} waits for a publisher", str(message.pk))
    dispatch.submit(message)
    kind = "update" if message.replaces_id else "alert"
    return Handled(Outcome.RELAYED, f"{kind} at {wanted}", str(message.pk))


def _expires(infos: list[Info]) -> datetime | None:
    """The latest end of the infos; none if any info is open-ended."""
    ends = [i.expires for i in infos]
    return None if not ends or None in ends else max(e for e in ends if e is not None)


def _gone(live: Message | None, outcome: str, reason: str) -> Handled:
    """An update that no longer applies here (ended, moved away): citizens who have the
    earlier version get the all-clear instead of being left with it."""
    if live is None:
        return Handled(outcome, reason)
    dispatch.cancel(live)
    return Handled(Outcome.CANCELLED, f"{reason}: all-clear sent", str(live.pk))


def _withdraw_draft(draft: Message) -> bool:
    """A held version that was never sent gives way to a newer one, unless a publisher has
    just approved it (then it is live, and the newer one updates it)."""
    return bool(
        Message.objects.filter(pk=draft.pk, status=MessageStatus.DRAFT).update(
            status=MessageStatus.CANCELLED, cancelled_at=timezone.now()
        )
    )


def _cancel(versions: chain.Chain) -> Handled:
    if not versions.versions:
        return Handled(Outcome.IGNORED, "cancels a warning this town did not relay")
    withdrawn = [d for d in versions.drafts if _withdraw_draft(d)]
    live = versions.live
    if live is not None:
        dispatch.cancel(live)  # with it, the versions it replaced
        return Handled(Outcome.CANCELLED, "all-clear sent", str(live.pk))
    if withdrawn:
        return Handled(Outcome.CANCELLED, "withdrawn before it was sent", str(withdrawn[-1].pk))
    return Handled(Outcome.IGNORED, "already withdrawn", str(versions.versions[-1].pk))


def _area_here(
    tenant: Municipality, source: WarningSource | None, infos: list[Info]
) -> tuple[bool, dict[str, Any] | None, str]:
    """Whether the warning concerns the town, and its message area: the part of the warned
    area inside the town as GeoJSON, or None for the whole town (matched by a geocode).
    Every info counts: a document may warn different areas in different infos."""
    shapes = [s for i in infos if (s := geometry.info_geometry(i)) is not None]
    shape = shapely.union_all(shapes) if shapes else None
    if shape is not None:
        inside = _clip(tenant, shape)
        if inside is not None:
            return True, to_geojson(inside), ""
    codes = [str(c) for c in (source.codes if source else [])]
    for info in infos:
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
    live: Message | None,
    expires: datetime | None,
    hold: bool,
) -> Message:
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
        "replaces": str(live.pk) if live is not None else None,
        "hold": hold,
    }
    message = messages.create(tenant, data, None)
    main = infos[tenant.default_language]
    # Who issued it (CAP senderName: "Kreis Soest", "Deutscher Wetterdienst"), not the portal
    # or integration that brought it; the source's name only stands in when it is missing.
    name = main.sender_name or (source.name if source else "") or alert.sender
    message.source_name = name[:200]
    message.instruction = {
        lang: _shorten(i.instruction, messages.MAX_BODY)
        for lang, i in infos.items()
        if i.instruction
    }
    web = main.web.strip()
    message.source_url = web if web.startswith("https://") and len(web) <= 500 else ""
    message.save(update_fields=["source_name", "instruction", "source_url"])
    return message


def _shorten(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
