"""Citizens who subscribed, their places and their delivery channels.

Anonymous by design: a subscriber is a token holder with preferences. Personal data is limited to
channel addresses (an e-mail address, a push endpoint) and chosen places.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from stadtbote.core.severity import DEFAULT_THRESHOLD
from stadtbote.geo.models import District
from stadtbote.tenants.models import Municipality, Topic


class Subscriber(models.Model):
    # Integer ids group subscribers into place blocks; the public id is the UUID.
    id = models.BigAutoField(primary_key=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="subscribers")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    language = models.CharField(max_length=8)
    topics = models.ManyToManyField(Topic, blank=True, related_name="subscribers")
    min_severity = models.PositiveSmallIntegerField(default=int(DEFAULT_THRESHOLD))
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    paused = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return str(self.public_id)


class Place(models.Model):
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="places")
    label = models.CharField(max_length=80, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    radius_m = models.PositiveIntegerField(default=0)
    district = models.ForeignKey(District, null=True, blank=True, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(district__isnull=True, lat__isnull=False, lon__isnull=False)
                    | models.Q(district__isnull=False, lat__isnull=True, lon__isnull=True)
                ),
                name="place_is_point_or_district",
            )
        ]


class ChannelType(models.TextChoices):
    WEBPUSH = "webpush", "Web Push"
    FCM = "fcm", "App push (Android, FCM)"
    APNS = "apns", "App push (iOS, APNs)"
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"


# Device-bound addresses: whoever presents one owns it (one device, one subscriber per town).
DEVICE_TYPES = ("webpush", "fcm", "apns")


class ChannelStatus(models.TextChoices):
    PENDING = "pending", "Awaiting confirmation"
    CONFIRMED = "confirmed", "Confirmed"


class Channel(models.Model):
    tenant = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="channels")
    type = models.CharField(max_length=16, choices=ChannelType.choices)
    status = models.CharField(max_length=16, choices=ChannelStatus.choices)
    # Push endpoint URL, FCM registration token, APNs device token (hex), e-mail address or
    # phone number (E.164).
    address = models.TextField()
    address_key = models.CharField(max_length=64, db_index=True)
    p256dh = models.CharField(max_length=200, blank=True)
    auth = models.CharField(max_length=64, blank=True)
    # Double opt-in: single-use, expiring; only the digest is kept.
    confirm_token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    confirm_expires_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # SMS codes are short, so wrong guesses are counted and the code dies after a few.
    confirm_attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            # One browser subscription or app install belongs to one subscriber, or it would be
            # pushed twice.
            models.UniqueConstraint(
                fields=["tenant", "type", "address_key"],
                condition=models.Q(type__in=DEVICE_TYPES),
                name="channel_unique_push_endpoint",
            ),
            models.UniqueConstraint(
                fields=["subscriber", "type", "address_key"], name="channel_unique_per_subscriber"
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="channel_status_created")]
