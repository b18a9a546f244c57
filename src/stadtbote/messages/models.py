"""Messages staff publish to citizens."""

from __future__ import annotations

import uuid
from datetime import time

from django.conf import settings
from django.db import models
from django.utils import timezone

from stadtbote.tenants.models import ApiKey, Municipality, Topic


class MessageStatus(models.TextChoices):
    DRAFT = "draft", "Held for approval"
    SCHEDULED = "scheduled", "Scheduled"
    PUBLISHED = "published", "Published"
    CANCELLED = "cancelled", "Withdrawn"


class Message(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="messages")
    title = models.JSONField(help_text="Per language")
    body = models.JSONField(help_text="Per language")
    severity = models.PositiveSmallIntegerField()
    topics = models.ManyToManyField(Topic, blank=True, related_name="messages")
    # Normalised target: {"kind": "town"} | {"kind": "shape", "geometry": GeoJSON}
    # | {"kind": "districts", "slugs": [...]} | {"kind": "circle", "lat", "lon", "radius_m"}
    area = models.JSONField()
    channels = models.JSONField(help_text="Channel types to use")
    status = models.CharField(max_length=16, choices=MessageStatus.choices)
    send_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # People, when composed in the staff console (API messages have created_by instead).
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    published_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # A newer message that supersedes an earlier one (CAP msgType "Update"); both pages link.
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="updates"
    )
    # Bumped on every visible change; feeds the public ETag.
    version = models.PositiveIntegerField(default=1)
    # Relayed official warnings: who issued it, what to do (CAP ``instruction``), its page.
    source_name = models.CharField(max_length=200, blank=True)
    instruction = models.JSONField(default=dict, blank=True, help_text="Per language")
    source_url = models.URLField(max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "status", "published_at"], name="message_public")]
        ordering = ["-published_at", "-created_at"]

    def __str__(self) -> str:
        return str(self.id)


class MessageTemplate(models.Model):
    """A frequent message (road closure, water outage, office closed) with placeholders in
    square brackets, e.g. "[Straße]", that staff fill in before sending."""

    tenant = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    slug = models.SlugField(max_length=60)
    name = models.JSONField(help_text="Per language: what staff pick from")
    title = models.JSONField(help_text="Per language, with [placeholders]")
    body = models.JSONField(default=dict, blank=True, help_text="Per language, with [placeholders]")
    severity = models.CharField(max_length=10, default="info")
    topics = models.JSONField(default=list, blank=True, help_text="Topic slugs")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "slug"], name="message_template_unique_slug")
        ]

    def __str__(self) -> str:
        return self.slug


class Recurrence(models.TextChoices):
    NONE = "", "once"
    WEEKLY = "weekly", "weekly"
    MONTHLY = "monthly", "monthly"
    YEARLY = "yearly", "yearly"


class Event(models.Model):
    """A date for a topic's subscribers (a Kita summer fête, the bulky-waste collection): in
    the topic's calendar feed, and a reminder message before each occurrence."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="events")
    title = models.JSONField(help_text="Per language")
    description = models.JSONField(default=dict, blank=True)
    location = models.CharField(max_length=200, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    recurrence = models.CharField(max_length=10, choices=Recurrence.choices, blank=True)
    until = models.DateField(null=True, blank=True, help_text="Last day of a recurring series")
    remind_days_before = models.PositiveSmallIntegerField(default=1)
    remind_at = models.TimeField(default=time(17, 0), help_text="Wall-clock time in the town")
    remind = models.BooleanField(default=True)
    cancelled = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["tenant", "cancelled", "starts_at"], name="event_upcoming")]

    def __str__(self) -> str:
        return str(self.uid)


class EventReminder(models.Model):
    """One reminder per occurrence: the row is the guard against reminding twice."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="reminders")
    occurrence = models.DateTimeField()
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "occurrence"], name="event_reminder_once")
        ]
