"""Creating messages: checking a staff request body against the tenant and storing it."""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from typing import Any

import shapely
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from stadtbote.core.errors import InvalidInput
from stadtbote.core.severity import Severity
from stadtbote.geo import service as geo
from stadtbote.geo.models import District
from stadtbote.geo.shapes import parse_area, to_geojson
from stadtbote.messages.models import Message, MessageStatus
from stadtbote.tenants.models import ApiKey, Municipality, Topic

CHANNEL_TYPES = ("webpush", "fcm", "apns", "email", "sms")
MAX_TITLE = 200
MAX_BODY = 5000
MAX_CIRCLE_M = 50_000


def texts(tenant: Municipality, value: Any, field: str, limit: int) -> dict[str, str]:
    if not isinstance(value, dict) or not value:
        raise InvalidInput('must be an object of texts per language, e.g. {"de": "…"}', field=field)
    result = {}
    for lang, text in value.items():
        if lang not in tenant.languages:
            raise InvalidInput(
                f"language {lang!r} is not offered by {tenant.name}", field=f"{field}.{lang}"
            )
        if not isinstance(text, str) or not text.strip():
            raise InvalidInput("must be a non-empty text", field=f"{field}.{lang}")
        if len(text) > limit:
            raise InvalidInput(f"at most {limit} characters", field=f"{field}.{lang}")
        result[lang] = text.strip()
    return result


def area(tenant: Municipality, value: Any, field: str = "area") -> dict[str, Any]:
    """Normalise the target area to one of the stored kinds (see ``Message.area``)."""
    if value is None:
        return {"kind": "town"}
    if not isinstance(value, dict):
        raise InvalidInput(
            "must be a GeoJSON polygon, {areas: [...]}, {circle: {...}} or null", field=field
        )
    if "areas" in value:
        slugs = value["areas"]
        if not isinstance(slugs, list) or not slugs:
            raise InvalidInput("must be a non-empty list of area slugs", field=f"{field}.areas")
        known = set(District.objects.filter(tenant=tenant).values_list("slug", flat=True))
        for i, slug in enumerate(slugs):
            if slug not in known:
                raise InvalidInput(
                    f"unknown area {slug!r}", field=f"{field}.areas[{i}]", code="unknown_area"
                )
        return {"kind": "districts", "slugs": list(dict.fromkeys(slugs))}
    if "circle" in value:
        c = value["circle"]
        if not isinstance(c, dict):
            raise InvalidInput("must be {lat, lon, radius_m}", field=f"{field}.circle")
        lat, lon, radius = c.get("lat"), c.get("lon"), c.get("radius_m")
        for name, v, limit in (("lat", lat, 90), ("lon", lon, 180)):
            if (
                isinstance(v, bool)
                or not isinstance(v, int | float)
                or not math.isfinite(v)
                or abs(v) > limit
            ):
                raise InvalidInput("must be a valid coordinate", field=f"{field}.circle.{name}")
        if (
            isinstance(radius, bool)
            or not isinstance(radius, int | float)
            or not 0 < radius <= MAX_CIRCLE_M
        ):
            raise InvalidInput(
                f"must be between 1 and {MAX_CIRCLE_M}", field=f"{field}.circle.radius_m"
            )
        assert isinstance(lat, int | float)
        assert isinstance(lon, int | float)
        if (
            geo.distance_outside_m(tenant, float(lat), float(lon))
            > float(radius) + tenant.tolerance_m
        ):
            raise InvalidInput(
                f"the circle lies outside {tenant.name}",
                field=f"{field}.circle",
                code="outside_municipality",
            )
        return {"kind": "circle", "lat": float(lat), "lon": float(lon), "radius_m": float(radius)}
    geom = parse_area(value, field)
    outline = geo.boundary(tenant)
    if outline is not None and not shapely.intersects(geom, outline):
        raise InvalidInput(
            f"the area lies outside {tenant.name}", field=field, code="outside_municipality"
        )
    return {"kind": "shape", "geometry": to_geojson(geom)}


def _when(value: Any, field: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidInput("must be an ISO 8601 date-time", field=field) from None
    if not isinstance(value, datetime):
        raise InvalidInput("must be an ISO 8601 date-time", field=field)
    if value.tzinfo is None:
        raise InvalidInput("needs a time zone offset, e.g. +01:00", field=field)
    return value


def create(tenant: Municipality, data: dict[str, Any], key: ApiKey | None) -> Message:
    """Check and store a message. The caller hands it to ``delivery.dispatch.submit``."""
    title = texts(tenant, data.get("title"), "title", MAX_TITLE)
    body = texts(tenant, data.get("body") or {}, "body", MAX_BODY) if data.get("body") else {}
    for lang in body:
        if lang not in title:
            raise InvalidInput("has a language the title lacks", field=f"body.{lang}")
    try:
        severity = Severity.parse(str(data.get("severity") or "info"))
    except ValueError as exc:
        raise InvalidInput(str(exc), field="severity") from None
    slugs = data.get("topics") or []
    topics = list(Topic.objects.filter(tenant=tenant, slug__in=slugs))
    missing = [s for s in slugs if s not in {t.slug for t in topics}]
    if missing:
        raise InvalidInput(
            f"unknown topic {missing[0]!r}",
            field=f"topics[{slugs.index(missing[0])}]",
            code="unknown_topic",
        )
    channels = data.get("channels") or list(CHANNEL_TYPES)
    for i, c in enumerate(channels):
        if c not in CHANNEL_TYPES:
            raise InvalidInput(
                f"unknown channel {c!r}; use {', '.join(CHANNEL_TYPES)}", field=f"channels[{i}]"
            )
    now = timezone.now()
    send_at = _when(data.get("send_at"), "send_at")
    expires_at = _when(data.get("expires_at"), "expires_at")
    if expires_at is not None and expires_at <= max(now, send_at or now):
        raise InvalidInput("must be after the time of sending", field="expires_at")
    replaces = _replaced(tenant, data.get("replaces"))
    if data.get("hold"):
        status = MessageStatus.DRAFT
    elif send_at is not None and send_at > now:
        status = MessageStatus.SCHEDULED
    else:
        status = MessageStatus.PUBLISHED
    with transaction.atomic():
        message = Message.objects.create(
            tenant=tenant,
            title=title,
            body=body,
            severity=int(severity),
            area=area(tenant, data.get("area")),
            channels=list(dict.fromkeys(channels)),
            status=status,
            send_at=send_at,
            expires_at=expires_at,
            created_by=key,
            replaces=replaces,
            published_at=now if status == MessageStatus.PUBLISHED else None,
        )
        message.topics.set(topics)
        if replaces is not None:
            # The earlier page now links to its update: a new version for ETags and caches.
            Message.objects.filter(pk=replaces.pk).update(version=F("version") + 1)
    return message


def _replaced(tenant: Municipality, value: Any) -> Message | None:
    """The earlier message an update supersedes: same town, and one citizens could see."""
    if value in (None, ""):
        return None
    try:
        earlier = Message.objects.filter(tenant=tenant, pk=uuid.UUID(str(value))).first()
    except ValueError:
        earlier = None
    if earlier is None or earlier.status not in (
        MessageStatus.PUBLISHED,
        MessageStatus.CANCELLED,
    ):
        raise InvalidInput("no published message with this id", field="replaces")
    return earlier


def is_current(message: Message, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return message.status == MessageStatus.PUBLISHED and (
        message.expires_at is None or message.expires_at > now
    )


MAX_VERSIONS = 100  # an update chain longer than this is a loop or an attack


def earlier_versions(message_id: uuid.UUID) -> list[uuid.UUID]:
    """The messages ``message_id`` replaced, newest first, back to the first version."""
    found: list[uuid.UUID] = []
    current = Message.objects.filter(pk=message_id).values_list("replaces_id", flat=True).first()
    while current is not None and current not in found and len(found) < MAX_VERSIONS:
        found.append(current)
        current = Message.objects.filter(pk=current).values_list("replaces_id", flat=True).first()
    return found
