"""Problem reports (cases), where they go (categories, departments), and their history."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from stadtbote.reports.sla import Clock
from stadtbote.reports.states import CaseStatus
from stadtbote.tenants.models import ApiKey, Municipality


class Department(models.Model):
    tenant = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="departments")
    slug = models.SlugField(max_length=60)
    name = models.JSONField(help_text='Per language, e.g. {"de": "Tiefbauamt"}')
    email = models.EmailField(blank=True, help_text="Reminders go here.")
    head_email = models.EmailField(blank=True, help_text="Breaches of the service level go here.")
    # Where citizens find the office: shown on the town's contacts page and indexed for the
    # assistant, so "when is the Bürgerbüro open?" is answered from the town's own data.
    phone = models.CharField(max_length=40, blank=True)
    address = models.CharField(max_length=300, blank=True)
    public_email = models.EmailField(blank=True, help_text="Shown to citizens")
    opening_hours = models.JSONField(
        default=dict, blank=True, help_text='Per language, e.g. {"de": "Mo–Fr 8–12 Uhr"}'
    )
    public = models.BooleanField(default=False, help_text="Listed on the contacts page")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "slug"], name="department_unique_slug")
        ]

    def __str__(self) -> str:
        return self.slug


class CategoryKind(models.TextChoices):
    REPORT = "report", "A problem at a place (Open311 service)"
    # Questions for the town's staff: the same queues, deadlines and statistics as reports,
    # but never public, never on a map and not an Open311 service.
    INQUIRY = "inquiry", "A question for staff"


class Category(models.Model):
    """What citizens can report (an Open311 service), and where it is routed."""

    tenant = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="categories")
    slug = models.SlugField(max_length=60, help_text="Open311 service_code")
    name = models.JSONField()
    description = models.JSONField(default=dict, blank=True)
    group = models.JSONField(default=dict, blank=True, help_text="Per language, e.g. Straßen")
    keywords = models.CharField(max_length=300, blank=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="categories")
    # Extra questions (Open311 attributes): [{"code", "datatype", "required", "description",
    # "values": [{"key", "name"}], "order", "variable"}].
    questions = models.JSONField(default=list, blank=True)
    duplicate_radius_m = models.PositiveIntegerField(default=50)
    first_response_hours = models.FloatField(default=24)
    first_response_clock = models.CharField(
        max_length=10, choices=[(c.value, c.value) for c in Clock], default=Clock.CALENDAR
    )
    resolve_hours = models.FloatField(default=10 * 8)
    resolve_clock = models.CharField(
        max_length=10, choices=[(c.value, c.value) for c in Clock], default=Clock.WORKING
    )
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(
        max_length=10, choices=CategoryKind.choices, default=CategoryKind.REPORT
    )

    class Meta:
        ordering = ["position", "slug"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "slug"], name="category_unique_slug")
        ]

    def __str__(self) -> str:
        return self.slug


class Case(models.Model):
    id = models.BigAutoField(primary_key=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="cases")
    number = models.PositiveIntegerField(help_text="Per town; the Open311 service_request_id")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="cases")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="cases")
    status = models.CharField(
        max_length=16, choices=[(s.value, s.value) for s in CaseStatus], default=CaseStatus.RECEIVED
    )
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    address = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    # What the public sees after moderation (personal data edited out); empty until then.
    public_description = models.TextField(blank=True)
    published = models.BooleanField(default=False)
    answers = models.JSONField(default=dict, blank=True)
    # A link a client app sent along (Open311 media_url). Never fetched by the server (SSRF);
    # shown only after moderation.
    media_url = models.URLField(max_length=500, blank=True)
    reporter_name = models.CharField(max_length=120, blank=True)
    reporter_email = models.EmailField(blank=True)
    reporter_phone = models.CharField(max_length=40, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    created_by_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The citizen's language, for the answer's e-mail and push (an inquiry is answered in it).
    language = models.CharField(max_length=8, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    first_response_due = models.DateTimeField()
    resolve_due = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="case_unique_number")
        ]
        indexes = [
            models.Index(
                fields=["tenant", "department", "status", "first_response_due"], name="case_queue"
            ),
            models.Index(fields=["tenant", "category", "status"], name="case_nearby"),
            models.Index(fields=["tenant", "created_at"], name="case_created"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id}#{self.number}"


class CasePhoto(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to="reports/")
    thumbnail = models.FileField(upload_to="reports/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    # Moderation: a hidden photo is never shown publicly (faces, number plates, private land).
    hidden = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)


class Follower(models.Model):
    """Who hears about public changes: the reporter and anyone who follows the case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="followers")
    subscriber = models.ForeignKey(
        "subscribers.Subscriber", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    email = models.EmailField(blank=True)
    is_reporter = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "subscriber"],
                condition=models.Q(subscriber__isnull=False),
                name="follower_once_per_subscriber",
            ),
            models.UniqueConstraint(
                fields=["case", "email"],
                condition=~models.Q(email=""),
                name="follower_once_per_email",
            ),
        ]


class EventKind(models.TextChoices):
    CREATED = "created"
    STATUS = "status"
    ASSIGNED = "assigned"
    ROUTED = "routed"
    NOTE = "note"
    REPLY = "reply"
    MERGED = "merged"
    MODERATED = "moderated"
    REMINDED = "reminded"
    ESCALATED = "escalated"


class AppendOnly(Exception):
    pass


class CaseEvent(models.Model):
    """The case's history: written once, never changed or deleted (append-only)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=120, blank=True, help_text="citizen, system, app …")
    public = models.BooleanField(default=False)
    old_status = models.CharField(max_length=16, blank=True)
    new_status = models.CharField(max_length=16, blank=True)
    text = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnly("case history is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("case history is append-only")


class NoticeStatus(models.TextChoices):
    PENDING = "pending"
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"


class CaseNotice(models.Model):
    """One follower told about one public change: the row is the idempotency key (never twice)
    and the record of every attempt's outcome."""

    event = models.ForeignKey(CaseEvent, on_delete=models.CASCADE, related_name="notices")
    channel = models.CharField(max_length=16)
    address = models.CharField(max_length=254)
    status = models.CharField(
        max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    reason = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "channel", "address"], name="case_notice_once")
        ]


class ReplyTemplate(models.Model):
    """A frequent public answer, per language, with placeholders ({number}, {category}, {town},
    {address}, {due}); see ``reports/templates.py``."""

    tenant = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    slug = models.SlugField(max_length=60)
    title = models.JSONField(help_text='Per language, e.g. {"de": "Eingang bestätigen"}')
    text = models.JSONField(help_text="Per language; placeholders {number} {category} {town} …")
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Empty: offered for every category.",
    )
    status = models.CharField(
        max_length=16,
        blank=True,
        choices=[(s.value, s.value) for s in CaseStatus],
        help_text="The status this answer usually goes with (offered with it).",
    )
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "slug"], name="reply_template_unique_slug")
        ]

    def __str__(self) -> str:
        return self.slug
