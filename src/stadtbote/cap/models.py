"""Where a town's official warnings come from, what it does with them, and each one received."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from stadtbote.messages.models import Message
from stadtbote.tenants.models import Municipality

LEVELS = ("", "minor", "moderate", "severe", "extreme")


class SourceKind(models.TextChoices):
    DWD = "dwd", "Deutscher Wetterdienst (CAP feed)"
    BUND = "bund", "warnung.bund.de (MoWaS, KATWARN, BIWAPP, DWD, flood centres, police)"
    FEED = "feed", "CAP document or Atom feed of CAP"
    PUSH = "push", "Pushed to the API"


class WarningSource(models.Model):
    """One feed the town relays, with its relay rule and the state of its polling."""

    tenant = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=SourceKind.choices)
    name = models.CharField(max_length=200, help_text="Shown to citizens as the source")
    url = models.CharField(max_length=500, blank=True, help_text="Must be on the allow-list")
    # What "here" means in geocodes without geometry: DWD warn cells, ARS/SHN keys.
    codes = models.JSONField(default=list, blank=True)
    # warnung.bund.de: besides the district's dashboard, read these providers' nationwide
    # mapData (e.g. ["mowas", "lhp"]); each new warning's shape decides if it is for the town.
    providers = models.JSONField(default=list, blank=True)
    enabled = models.BooleanField(default=True)
    poll_seconds = models.PositiveIntegerField(default=60)
    # The relay rule: from ``auto_from`` on warnings go out at once; below, a publisher confirms;
    # below ``ignore_below`` they are only recorded. "" switches a threshold off.
    auto_from = models.CharField(max_length=10, default="moderate", blank=True)
    ignore_below = models.CharField(max_length=10, default="minor", blank=True)
    # CAP severity -> our level, where the town wants it otherwise (e.g. {"Minor": "info"}).
    severity_map = models.JSONField(default=dict, blank=True)
    etag = models.CharField(max_length=300, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    next_poll_at = models.DateTimeField(default=timezone.now)
    failures = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["enabled", "next_poll_at"], name="warning_source_due")]

    def __str__(self) -> str:
        return f"{self.tenant.slug}: {self.name}"


class Outcome(models.TextChoices):
    RELAYED = "relayed", "Sent to citizens"
    HELD = "held", "Waiting for a publisher"
    CANCELLED = "cancelled", "All-clear sent"
    IGNORED = "ignored", "Below the town's threshold"
    NOT_HERE = "not_here", "Not for this town"
    NOT_ACTUAL = "not_actual", "Exercise, test or draft"
    EXPIRED = "expired", "Already expired"


class ReceivedAlert(models.Model):
    """Every warning a town received, once, whichever source brought it first."""

    tenant = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(
        WarningSource, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    # The identifier without a relaying portal's prefix: the same DWD warning polled from the
    # DWD and from warnung.bund.de is one row, so it goes out once.
    key = models.CharField(max_length=300)
    identifier = models.CharField(max_length=300)
    sender = models.CharField(max_length=300)
    sent = models.DateTimeField()
    sent_text = models.CharField(max_length=40)
    msg_type = models.CharField(max_length=10)
    status = models.CharField(max_length=10)
    severity = models.CharField(max_length=10, blank=True)
    event = models.CharField(max_length=200, blank=True)
    headline = models.CharField(max_length=300, blank=True)
    expires = models.DateTimeField(null=True, blank=True)
    references = models.JSONField(default=list, blank=True)  # [[sender, identifier, sent], ...]
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    reason = models.CharField(max_length=300, blank=True)
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="received_alert_once"),
        ]
        indexes = [models.Index(fields=["tenant", "-received_at"], name="received_alert_recent")]

    def __str__(self) -> str:
        return self.identifier
