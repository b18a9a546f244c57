"""Request and response shapes of the public contract (SPEC.md), as typed schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field


class PlaceIn(Schema):
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    radius_m: int = Field(0, ge=0, le=10_000)
    label: str = Field("", max_length=80)
    area: str | None = Field(None, max_length=60)


class QuietHoursIn(Schema):
    start: str = Field(..., pattern=r"^\d{2}:\d{2}$", examples=["22:00"])
    end: str = Field(..., pattern=r"^\d{2}:\d{2}$", examples=["07:00"])


class PushKeysIn(Schema):
    p256dh: str = Field(..., max_length=200)
    auth: str = Field(..., max_length=64)


class PushSubscriptionIn(Schema):
    endpoint: str = Field(..., max_length=2048)
    keys: PushKeysIn
    expirationTime: int | None = None


class ChannelIn(Schema):
    type: Literal["webpush", "fcm", "apns", "email", "sms"]
    subscription: PushSubscriptionIn | None = None
    # A native app's FCM registration token or APNs device token (hex).
    token: str | None = Field(None, max_length=4096)
    # An e-mail address, or a phone number for SMS ("0151 2345678" or "+49 151 2345678").
    address: str | None = Field(None, max_length=254)


class SubscriberIn(Schema):
    language: str | None = Field(None, max_length=8)
    places: list[PlaceIn] = Field(default_factory=list, max_length=10)
    topics: list[str] = Field(default_factory=list, max_length=64)
    min_severity: str | None = None
    quiet_hours: QuietHoursIn | None = None
    channels: list[ChannelIn] = Field(default_factory=list, max_length=5)


class SubscriberPatch(Schema):
    language: str | None = Field(None, max_length=8)
    places: list[PlaceIn] | None = Field(None, max_length=10)
    topics: list[str] | None = Field(None, max_length=64)
    min_severity: str | None = None
    quiet_hours: QuietHoursIn | None = None
    channels: list[ChannelIn] | None = Field(None, max_length=5)
    paused: bool | None = None


class ChannelStatusOut(Schema):
    type: str
    status: str


class SubscriberCreated(Schema):
    id: str
    token: str
    channels: list[ChannelStatusOut]


class MessageIn(Schema):
    title: dict[str, str]
    body: dict[str, str] = Field(default_factory=dict)
    severity: str = "info"
    topics: list[str] = Field(default_factory=list, max_length=64)
    area: dict[str, Any] | None = None
    channels: list[str] | None = None
    send_at: datetime | None = None
    expires_at: datetime | None = None
    hold: bool = Field(False, description="Hold for approval by an admin instead of publishing.")
    replaces: str | None = Field(
        None, description="Id of an earlier published message this one updates (CAP Update)."
    )


class MessageCreated(Schema):
    id: str
    status: str


class ErrorOut(Schema):
    detail: str
    code: str
