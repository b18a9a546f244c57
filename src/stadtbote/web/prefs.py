"""The preferences form of the citizen app (onboarding and settings) and its translation into
the subscribers service's request body. Domain rules stay in ``subscribers.validation``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _

from stadtbote.core.errors import InvalidInput
from stadtbote.core.severity import DEFAULT_THRESHOLD, Severity
from stadtbote.delivery.channels.sms.numbers import COUNTRY_CODES
from stadtbote.subscribers.models import ChannelStatus, Subscriber

RADII_M = (100, 250, 500, 1000, 2000)
DEFAULT_RADIUS_M = 250
STEPS = ("notify", "places", "topics", "warnings", "email")
NO_BREAK = "\u00a0"


class FormError(InvalidInput):
    """An error the form itself finds; its text is already meant for the citizen. It carries
    what was posted, so the form comes back with the citizen's choices intact."""

    prefs: Prefs | None = None


@dataclass
class Prefs:
    """What the form shows; built from a subscriber, from a POST, or empty."""

    districts: list[str] = field(default_factory=list)
    point: dict[str, Any] | None = None
    topics: list[str] = field(default_factory=list)
    min_severity: str = DEFAULT_THRESHOLD.label
    quiet_start: str = ""
    quiet_end: str = ""
    language: str = ""
    email: str = ""
    # The phone number for SMS as typed, or as stored (E.164), and whether a code is awaited.
    sms: str = ""
    sms_pending: bool = False
    push_subscription: str = ""
    keep_push: bool = False
    has_push: bool = False
    # The point as typed, for showing the form again (also when it could not be read).
    point_form: dict[str, Any] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        """The subscribers service request body (as in the public API)."""
        places: list[dict[str, Any]] = [{"area": slug} for slug in self.districts]
        if self.point is not None:
            places.append(self.point)
        quiet = None
        if self.quiet_start or self.quiet_end:
            quiet = {"start": self.quiet_start, "end": self.quiet_end}
        return {
            "language": self.language,
            "places": places,
            "topics": self.topics,
            "min_severity": self.min_severity,
            "quiet_hours": quiet,
        }


def from_subscriber(sub: Subscriber) -> Prefs:
    prefs = Prefs(
        min_severity=Severity(sub.min_severity).label,
        language=sub.language,
        topics=[t.slug for t in sub.topics.all()],
        quiet_start=sub.quiet_start.strftime("%H:%M") if sub.quiet_start else "",
        quiet_end=sub.quiet_end.strftime("%H:%M") if sub.quiet_end else "",
    )
    for p in sub.places.select_related("district").order_by("id"):
        if p.district is not None:
            prefs.districts.append(p.district.slug)
        elif prefs.point is None:
            prefs.point = {"lat": p.lat, "lon": p.lon, "radius_m": p.radius_m, "label": p.label}
            prefs.point_form = {
                "lat": str(p.lat),
                "lon": str(p.lon),
                "radius_m": p.radius_m,
                "label": p.label,
            }
    for c in sub.channels.all():
        if c.type == "email":
            prefs.email = c.address
        elif c.type == "sms":
            prefs.sms = readable_number(c.address)
            prefs.sms_pending = c.status == ChannelStatus.PENDING
        elif c.type == "webpush":
            prefs.has_push = prefs.keep_push = True
    return prefs


def from_post(data: QueryDict, default_language: str) -> Prefs:
    prefs = Prefs(
        districts=[s for s in data.getlist("district") if s],
        topics=[s for s in data.getlist("topic") if s],
        min_severity=data.get("min_severity") or DEFAULT_THRESHOLD.label,
        quiet_start=(data.get("quiet_start") or "").strip(),
        quiet_end=(data.get("quiet_end") or "").strip(),
        language=data.get("language") or default_language,
        email=(data.get("email") or "").strip(),
        sms=(data.get("sms") or "").strip()[:40],
        push_subscription=(data.get("push_subscription") or "").strip(),
        keep_push=data.get("keep_push") == "on",
    )
    lat, lon = (data.get("point_lat") or "").strip(), (data.get("point_lon") or "").strip()
    label = (data.get("point_label") or "").strip()[:80]
    radius_text = data.get("point_radius") or str(DEFAULT_RADIUS_M)
    prefs.point_form = {"lat": lat, "lon": lon, "radius_m": radius_text, "label": label}

    def refuse(message: str, field_name: str) -> FormError:
        error = FormError(message, field=field_name)
        error.prefs = prefs
        return error

    if lat or lon:
        try:
            radius = int(radius_text)
            prefs.point_form["radius_m"] = radius
            prefs.point = {
                "lat": float(lat.replace(",", ".")),
                "lon": float(lon.replace(",", ".")),
                "radius_m": radius,
                "label": label,
            }
        except ValueError:
            raise refuse(_("Enter the point as numbers."), "point") from None
    if not prefs.districts and prefs.point is None:
        raise refuse(_("Choose at least one place."), "places")
    if bool(prefs.quiet_start) != bool(prefs.quiet_end):
        raise refuse(_("Give both a start and an end for quiet hours."), "quiet_hours")
    return prefs


def push_channel(prefs: Prefs) -> dict[str, Any] | None:
    """The Web Push channel the browser handed over, if any."""
    if not prefs.push_subscription:
        return None
    try:
        sub = json.loads(prefs.push_subscription)
    except ValueError:
        raise FormError(_("The browser's push subscription is unreadable."), field="push") from None
    return {"type": "webpush", "subscription": sub}


def step_of(error_field: str) -> str:
    """Which onboarding step holds the field an error names."""
    head = error_field.split(".", 1)[0].split("[", 1)[0]
    if head in ("places", "point"):
        return "places"
    if head == "topics":
        return "topics"
    if head in ("min_severity", "quiet_hours", "language"):
        return "warnings"
    if head == "push" or (head == "channels" and ".subscription" in error_field):
        return "notify"
    # E-mail and SMS share the last step, the channels that reach people without the app.
    return "email"


def friendly(error: InvalidInput) -> str:
    """A sentence for the citizen; the domain's English detail is for developers."""
    if isinstance(error, FormError):
        return str(error.args[0])
    if error.field == "sms":
        return _sms_sentence(error)
    head = (error.field or "").split(".", 1)[0].split("[", 1)[0]
    messages = {
        "places": _("Please check your places: a point must lie in or near the town."),
        "topics": _("One of the chosen topics no longer exists. Please choose again."),
        "min_severity": _("Please choose a warning level."),
        "quiet_hours": _("Please give quiet hours as start and end time, e.g. 22:00 and 07:00."),
        "channels": _("Please check the e-mail address."),
        "language": _("Please choose a language."),
    }
    if error.field and error.field.startswith("channels") and "endpoint" in error.field:
        return _("This browser's push service is not supported. You can use e-mail instead.")
    return messages.get(head, str(error.args[0]))


def channels_of(prefs: Prefs, push: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The channels the form asks for, in the order their errors are mapped back."""
    channels = [push] if push else []
    if prefs.email:
        channels.append({"type": "email", "address": prefs.email})
    if prefs.sms:
        channels.append({"type": "sms", "address": prefs.sms})
    return channels


def stored_channels(sub: Subscriber, without: str = "") -> list[dict[str, Any]]:
    """The subscriber's channels as a request body would give them, to save them unchanged."""
    channels: list[dict[str, Any]] = []
    for c in sub.channels.exclude(type=without).order_by("id"):
        if c.type == "webpush":
            keys = {"p256dh": c.p256dh, "auth": c.auth}
            channels.append({"type": c.type, "subscription": {"endpoint": c.address, "keys": keys}})
        elif c.type in ("email", "sms"):
            channels.append({"type": c.type, "address": c.address})
        else:
            channels.append({"type": c.type, "token": c.address})
    return channels


def sms_error(error: InvalidInput, channels: list[dict[str, Any]]) -> InvalidInput:
    """The domain names a channel by its index; the form names the phone number field, so the
    message and the marked field are the number's, not the e-mail address's."""
    field = error.field or ""
    if not field.startswith("channels["):
        return error
    try:
        index = int(field[len("channels[") : field.index("]")])
    except ValueError:
        return error
    if index >= len(channels) or channels[index].get("type") != "sms":
        return error
    return InvalidInput(str(error.args[0]), field="sms", code=error.code)


def _sms_sentence(error: InvalidInput) -> str:
    if error.code == "channel_unavailable":
        return _("This town does not send SMS. You can use e-mail instead.")
    return _(
        "Please check the phone number. Enter it with its area code, e.g. 0151 12345678, "
        "or with the country code, e.g. +49 151 12345678."
    )


def sms_rate_limited() -> FormError:
    """The number was fine, but no code may be sent to it now (daily cap, or the town's)."""
    return FormError(
        _("We cannot send a code to this number right now. Please try again tomorrow."),
        field="sms",
    )


def readable_number(number: str, space: str = " ") -> str:
    """An E.164 number the way people read it: "+49 151 12345678" (with ``space`` between the
    groups: a no-break space keeps the number on one line in a sentence)."""
    digits = number.removeprefix("+")
    for code in sorted(COUNTRY_CODES.values(), key=len, reverse=True):
        if number.startswith("+") and digits.startswith(code) and len(digits) > len(code) + 3:
            rest = digits[len(code) :]
            return f"+{code}{space}{rest[:3]}{space}{rest[3:]}"
    return number
