"""Turning a subscriber request body into checked values, naming the field on every error.

Shape and types are checked by the API schemas; this module checks meaning against the tenant:
known topics and districts, places inside the town, usable push keys, allowed endpoints.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

from stadtbote.core import tokens
from stadtbote.core.errors import InvalidInput
from stadtbote.core.severity import Severity
from stadtbote.delivery import registry
from stadtbote.delivery.channels.apns.message import device_token_problem
from stadtbote.delivery.channels.fcm.message import token_problem
from stadtbote.delivery.channels.sms.numbers import check_reachable, normalise_number
from stadtbote.delivery.channels.webpush.allowlist import EndpointNotAllowed, check_endpoint
from stadtbote.delivery.channels.webpush.keys import b64url_decode, load_public_key
from stadtbote.geo import service as geo
from stadtbote.geo.models import District
from stadtbote.tenants.models import Municipality, Topic

MAX_PLACES = 10
MAX_RADIUS_M = geo.MAX_PLACE_RADIUS_M
MAX_CHANNELS = 5


@dataclass(frozen=True)
class PlaceSpec:
    label: str
    lat: float | None = None
    lon: float | None = None
    radius_m: int = 0
    district: District | None = None


@dataclass(frozen=True)
class ChannelSpec:
    type: str
    address: str
    p256dh: str = ""
    auth: str = ""

    @property
    def key(self) -> str:
        return tokens.address_key(self.type, self.address)


def language(tenant: Municipality, value: Any, field: str = "language") -> str:
    allowed = [code for code, _ in settings.LANGUAGES]
    if value not in allowed:
        raise InvalidInput(
            f"unsupported language {value!r}; use one of {', '.join(allowed)}", field=field
        )
    return str(value)


def severity(value: Any, field: str = "min_severity") -> Severity:
    try:
        return Severity.parse(str(value))
    except ValueError as exc:
        raise InvalidInput(str(exc), field=field) from None


def topics(tenant: Municipality, slugs: list[str], field: str = "topics") -> list[Topic]:
    known = {t.slug: t for t in Topic.objects.filter(tenant=tenant)}
    result: list[Topic] = []
    for i, slug in enumerate(slugs):
        if slug not in known:
            raise InvalidInput(
                f"unknown topic {slug!r}", field=f"{field}[{i}]", code="unknown_topic"
            )
        if known[slug] not in result:
            result.append(known[slug])
    return result


def places(
    tenant: Municipality, items: list[dict[str, Any]], field: str = "places"
) -> list[PlaceSpec]:
    if len(items) > MAX_PLACES:
        raise InvalidInput(f"at most {MAX_PLACES} places", field=field)
    districts = {d.slug: d for d in District.objects.filter(tenant=tenant)}
    result = []
    for i, item in enumerate(items):
        pfield = f"{field}[{i}]"
        label = (item.get("label") or "").strip()[:80]
        if item.get("area") is not None:
            if item.get("lat") is not None or item.get("lon") is not None:
                raise InvalidInput("give either area or lat/lon, not both", field=pfield)
            slug = item["area"]
            if slug not in districts:
                raise InvalidInput(
                    f"unknown area {slug!r}", field=f"{pfield}.area", code="unknown_area"
                )
            result.append(PlaceSpec(label=label, district=districts[slug]))
            continue
        lat, lon = item.get("lat"), item.get("lon")
        if lat is None or lon is None:
            raise InvalidInput("a place needs lat and lon, or area", field=pfield)
        radius = int(item.get("radius_m") or 0)
        if not 0 <= radius <= MAX_RADIUS_M:
            raise InvalidInput(f"must be between 0 and {MAX_RADIUS_M}", field=f"{pfield}.radius_m")
        distance = geo.distance_outside_m(tenant, float(lat), float(lon))
        if distance > tenant.tolerance_m:
            raise InvalidInput(
                f"this point is {distance / 1000:.1f} km outside {tenant.name}",
                field=pfield,
                code="outside_municipality",
            )
        result.append(PlaceSpec(label=label, lat=float(lat), lon=float(lon), radius_m=radius))
    return result


def quiet_hours(
    value: dict[str, str] | None, field: str = "quiet_hours"
) -> tuple[time | None, time | None]:
    if not value:
        return None, None
    parsed = []
    for part in ("start", "end"):
        text = value.get(part)
        try:
            hh, mm = str(text).split(":")
            if len(hh) != 2 or len(mm) != 2:
                raise ValueError
            parsed.append(time(int(hh), int(mm)))
        except ValueError:
            raise InvalidInput("must be HH:MM", field=f"{field}.{part}") from None
    if parsed[0] == parsed[1]:
        raise InvalidInput("start and end must differ", field=field)
    return parsed[0], parsed[1]


_email_validator = EmailValidator()


def channels(
    items: list[dict[str, Any]], field: str = "channels", tenant: Municipality | None = None
) -> list[ChannelSpec]:
    if len(items) > MAX_CHANNELS:
        raise InvalidInput(f"at most {MAX_CHANNELS} channels", field=field)
    result: list[ChannelSpec] = []
    for i, item in enumerate(items):
        cfield = f"{field}[{i}]"
        kind = item.get("type")
        if kind == "email":
            spec = _email(item.get("address"), f"{cfield}.address")
        elif kind == "webpush":
            spec = _webpush(item.get("subscription"), f"{cfield}.subscription")
        elif kind == "sms":
            spec = _sms(item.get("address"), f"{cfield}.address")
            if tenant is not None and not registry.available("sms", tenant):
                raise InvalidInput(
                    f"{tenant.name} sends no SMS",
                    field=f"{cfield}.type",
                    code="channel_unavailable",
                )
        elif kind in ("fcm", "apns"):
            spec = _device_token(kind, item.get("token"), f"{cfield}.token")
            if tenant is not None and not registry.available(kind, tenant):
                raise InvalidInput(
                    f"{tenant.name} sends no {kind.upper()} app push",
                    field=f"{cfield}.type",
                    code="channel_unavailable",
                )
        else:
            raise InvalidInput("type must be webpush, fcm, apns or email", field=f"{cfield}.type")
        if any(s.key == spec.key for s in result):
            raise InvalidInput("the same channel is given twice", field=cfield)
        if spec.type == "sms" and any(s.type == "sms" for s in result):
            # Each number costs the town per SMS; one per person is what anyone needs.
            raise InvalidInput("one phone number per subscription", field=cfield)
        result.append(spec)
    return result


def _email(address: Any, field: str) -> ChannelSpec:
    if not isinstance(address, str) or len(address) > 254:
        raise InvalidInput("must be an e-mail address", field=field)
    address = tokens.normalise_address("email", address)
    try:
        _email_validator(address)
    except ValidationError:
        raise InvalidInput(f"{address!r} is not a valid e-mail address", field=field) from None
    return ChannelSpec(type="email", address=address)


def _webpush(sub: Any, field: str) -> ChannelSpec:
    if not isinstance(sub, dict):
        raise InvalidInput("must be a PushSubscription object", field=field)
    endpoint = sub.get("endpoint")
    if not isinstance(endpoint, str):
        raise InvalidInput("is required", field=f"{field}.endpoint")
    try:
        check_endpoint(endpoint, settings.STADTBOTE_WEBPUSH_ALLOWED_HOSTS)
    except EndpointNotAllowed as exc:
        raise InvalidInput(
            exc.reason, field=f"{field}.endpoint", code="endpoint_not_allowed"
        ) from None
    keys = sub.get("keys") or {}
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    try:
        load_public_key(b64url_decode(str(p256dh)))
    except (ValueError, TypeError):
        raise InvalidInput(
            "must be a base64url P-256 public key (65 bytes)", field=f"{field}.keys.p256dh"
        ) from None
    try:
        if len(b64url_decode(str(auth))) != 16:
            raise ValueError
    except (ValueError, TypeError):
        raise InvalidInput(
            "must be a base64url 16-byte secret", field=f"{field}.keys.auth"
        ) from None
    return ChannelSpec(type="webpush", address=endpoint, p256dh=str(p256dh), auth=str(auth))


def _device_token(kind: str, token: Any, field: str) -> ChannelSpec:
    """A native app's push token: FCM registration token or APNs device token (hex)."""
    if not isinstance(token, str) or not token:
        raise InvalidInput("is required", field=field)
    problem = token_problem(token) if kind == "fcm" else device_token_problem(token)
    if problem:
        raise InvalidInput(problem, field=field, code="invalid_token")
    # APNs tokens are hex; the app may send either case, and both mean the same device.
    return ChannelSpec(type=kind, address=token.lower() if kind == "apns" else token)


def _sms(number: Any, field: str) -> ChannelSpec:
    if not isinstance(number, str) or not number.strip():
        raise InvalidInput("must be a phone number", field=field)
    try:
        return ChannelSpec(type="sms", address=check_reachable(normalise_number(number)))
    except ValueError as exc:
        raise InvalidInput(str(exc), field=field, code="invalid_number") from None
