"""Creating, changing, exporting and erasing subscribers."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from stadtbote.core import tokens
from stadtbote.core.severity import DEFAULT_THRESHOLD, Severity
from stadtbote.geo import service as geo
from stadtbote.subscribers import validation as check
from stadtbote.subscribers.models import (
    DEVICE_TYPES,
    Channel,
    ChannelStatus,
    Place,
    Subscriber,
)
from stadtbote.tenants.models import Municipality


def create(tenant: Municipality, data: dict[str, Any]) -> tuple[Subscriber, str]:
    """Create a subscriber; returns it with its bearer token (shown once, stored as a digest)."""
    language = check.language(tenant, data.get("language") or tenant.default_language)
    places = check.places(tenant, data.get("places") or [])
    topics = check.topics(tenant, data.get("topics") or [])
    severity = check.severity(data.get("min_severity") or DEFAULT_THRESHOLD.label)
    quiet = check.quiet_hours(data.get("quiet_hours"))
    channels = check.channels(data.get("channels") or [], tenant=tenant)
    token = tokens.new_secret()
    with transaction.atomic():
        sub = Subscriber.objects.create(
            tenant=tenant,
            token_hash=tokens.digest(token),
            language=language,
            min_severity=int(severity),
            quiet_start=quiet[0],
            quiet_end=quiet[1],
        )
        sub.topics.set(topics)
        _set_places(sub, places)
        _set_channels(sub, channels)
        geo.rebuild_blocks(tenant, [geo.block_of(sub.pk)])
    return sub, token


def update(sub: Subscriber, data: dict[str, Any]) -> Subscriber:
    """Apply a partial change; only the keys present in ``data`` change."""
    tenant = sub.tenant
    with transaction.atomic():
        if "language" in data:
            sub.language = check.language(tenant, data["language"])
        if "min_severity" in data:
            sub.min_severity = int(check.severity(data["min_severity"] or DEFAULT_THRESHOLD.label))
        if "quiet_hours" in data:
            sub.quiet_start, sub.quiet_end = check.quiet_hours(data["quiet_hours"])
        if "paused" in data:
            sub.paused = bool(data["paused"])
        if "topics" in data:
            sub.topics.set(check.topics(tenant, data["topics"] or []))
        if "places" in data:
            _set_places(sub, check.places(tenant, data["places"] or []), replace=True)
        if "channels" in data:
            _set_channels(sub, check.channels(data["channels"] or [], tenant=tenant), replace=True)
        sub.updated_at = timezone.now()
        sub.save()
        geo.rebuild_blocks(tenant, [geo.block_of(sub.pk)])
    return sub


def erase(sub: Subscriber) -> None:
    """Delete the subscriber with its places and channels (see ``delivery.privacy`` for the
    whole GDPR erasure, which also anonymises delivery records)."""
    tenant, block = sub.tenant, geo.block_of(sub.pk)
    with transaction.atomic():
        sub.delete()
        geo.rebuild_blocks(tenant, [block])


def _set_places(sub: Subscriber, places: list[check.PlaceSpec], replace: bool = False) -> None:
    if replace:
        sub.places.all().delete()
    Place.objects.bulk_create(
        Place(
            subscriber=sub,
            label=p.label,
            lat=p.lat,
            lon=p.lon,
            radius_m=p.radius_m,
            district=p.district,
        )
        for p in places
    )


def _set_channels(sub: Subscriber, specs: list[check.ChannelSpec], replace: bool = False) -> None:
    existing = {c.address_key: c for c in sub.channels.all()} if replace else {}
    keep = {s.key for s in specs}
    for key, channel in existing.items():
        if key not in keep:
            channel.delete()
    for spec in specs:
        current = existing.get(spec.key)
        if current is not None:
            if current.type == "webpush" and (current.p256dh, current.auth) != (
                spec.p256dh,
                spec.auth,
            ):
                current.p256dh, current.auth = spec.p256dh, spec.auth
                current.save(update_fields=["p256dh", "auth"])
            elif current.status == ChannelStatus.PENDING:
                _request_confirmation(current)
            continue
        device = spec.type in DEVICE_TYPES
        if device:
            # A push endpoint or app token is an unguessable capability only the device knows,
            # so whoever presents it again (a reinstalled app that lost its subscriber token)
            # takes it over; the old owner loses it, and the device is never pushed twice.
            Channel.objects.filter(tenant=sub.tenant, type=spec.type, address_key=spec.key).exclude(
                subscriber=sub
            ).delete()
        channel = Channel.objects.create(
            tenant=sub.tenant,
            subscriber=sub,
            type=spec.type,
            # Push needs no opt-in: the device's permission prompt was the consent.
            status=ChannelStatus.CONFIRMED if device else ChannelStatus.PENDING,
            confirmed_at=timezone.now() if device else None,
            address=spec.address,
            address_key=spec.key,
            p256dh=spec.p256dh,
            auth=spec.auth,
        )
        if channel.status == ChannelStatus.PENDING:
            _request_confirmation(channel)


def _request_confirmation(channel: Channel) -> None:
    from stadtbote.subscribers import doi, sms_codes

    if channel.type == "sms":
        sms_codes.request_code(channel)
    else:
        doi.request_confirmation(channel)


def describe(sub: Subscriber) -> dict[str, Any]:
    """The subscriber as the API shows it to its owner."""
    places: list[dict[str, Any]] = []
    for p in sub.places.select_related("district").order_by("id"):
        if p.district is not None:
            places.append({"area": p.district.slug, "label": p.label})
        else:
            places.append({"lat": p.lat, "lon": p.lon, "radius_m": p.radius_m, "label": p.label})
    quiet = None
    if sub.quiet_start and sub.quiet_end:
        quiet = {"start": sub.quiet_start.strftime("%H:%M"), "end": sub.quiet_end.strftime("%H:%M")}
    return {
        "id": str(sub.public_id),
        "language": sub.language,
        "places": places,
        "topics": [t.slug for t in sub.topics.order_by("position", "slug")],
        "min_severity": Severity(sub.min_severity).label,
        "quiet_hours": quiet,
        "paused": sub.paused,
        "channels": [channel_view(c) for c in sub.channels.order_by("id")],
        "created_at": sub.created_at.isoformat(),
    }


def channel_view(c: Channel) -> dict[str, Any]:
    view: dict[str, Any] = {"type": c.type, "status": c.status}
    if c.type in ("email", "sms"):
        view["address"] = c.address
    elif c.type == "webpush":
        view["endpoint"] = c.address
    else:
        view["token"] = c.address
    return view


def export(sub: Subscriber) -> dict[str, Any]:
    """The subscriber's own records, machine-readable (``delivery.privacy`` adds deliveries)."""
    data = describe(sub)
    data["channels"] = [
        {
            **channel_view(c),
            "created_at": c.created_at.isoformat(),
            "confirmed_at": c.confirmed_at.isoformat() if c.confirmed_at else None,
        }
        for c in sub.channels.order_by("id")
    ]
    data["updated_at"] = sub.updated_at.isoformat()
    data["tenant"] = sub.tenant.slug
    return data
