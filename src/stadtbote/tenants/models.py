"""Municipalities (tenants), their topic catalogue, staff and API keys."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone as tz

from stadtbote.core import colour
from stadtbote.core.roles import Role
from stadtbote.delivery.channels.webpush.keys import generate_vapid_keypair
from stadtbote.tenants import tiles

LANGUAGES = [("de", "Deutsch"), ("en", "English")]
# First path segments the installation uses; a town with such a slug would be unreachable.
RESERVED_SLUGS = frozenset(
    {"admin", "api", "cap", "i18n", "language", "media-not-served", "open311", "static"}
)


# Roles held in one town (the operator role spans all towns: see ``Operator``).
TOWN_ROLES = [(value, label) for value, label in Role.choices if value != Role.OPERATOR]


class Municipality(models.Model):
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    default_language = models.CharField(max_length=8, choices=LANGUAGES, default="de")
    languages = models.JSONField(default=list, help_text="Languages messages may be written in.")
    timezone = models.CharField(max_length=64, default="Europe/Berlin")
    # The Land whose public holidays stop working-hour service levels (ISO 3166-2:DE suffix).
    land = models.CharField(max_length=2, default="NW")
    center_lat = models.FloatField()
    center_lon = models.FloatField()
    # Places further than this from the boundary are refused as "far outside the municipality".
    tolerance_m = models.PositiveIntegerField(default=2000)
    # GeoJSON Polygon/MultiPolygon in WGS84; normally the union of the districts.
    boundary = models.JSONField(null=True, blank=True)
    contact_email = models.EmailField(blank=True)
    website = models.URLField(blank=True)
    # The citizen app's look: header colour (white text must stay readable on it, WCAG AA).
    theme_color = models.CharField(max_length=7, default="#1f4e79")
    # Four-eyes rule in the staff console: messages at this severity or above wait for a second
    # person's approval ("" = never).
    approval_from = models.CharField(
        max_length=10,
        blank=True,
        default="severe",
        choices=[
            ("", "never"),
            ("moderate", "moderate"),
            ("severe", "severe"),
            ("extreme", "extreme"),
        ],
    )
    # Map background for the citizen app, e.g. "https://tile.example.org/{z}/{x}/{y}.png".
    # Empty: districts are drawn on a plain background, nothing is fetched from a tile server.
    map_tile_url = models.CharField(max_length=300, blank=True)
    map_attribution = models.CharField(max_length=300, blank=True)
    # VAPID (RFC 8292) identity. The private key never leaves the server: no API, export or
    # admin form shows it.
    vapid_public_key = models.CharField(max_length=100, editable=False)
    vapid_private_key = models.TextField(editable=False)
    created_at = models.DateTimeField(default=tz.now, editable=False)

    class Meta:
        verbose_name = "municipality"
        verbose_name_plural = "municipalities"

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.vapid_private_key:
            self.vapid_private_key, self.vapid_public_key = generate_vapid_keypair()
        if not self.languages:
            self.languages = [self.default_language]
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors = {}
        if self.slug in RESERVED_SLUGS:
            errors["slug"] = "This name is used by the installation itself; choose another."
        if not colour.HEX.match(self.theme_color or "") or not colour.carries_white_text(
            self.theme_color
        ):
            errors["theme_color"] = "Use a #rrggbb colour dark enough for white text (4.5:1)."
        if self.map_tile_url and not tiles.valid_template(self.map_tile_url):
            errors["map_tile_url"] = "Use an https:// URL with {z}, {x} and {y}."
        if errors:
            raise ValidationError(errors)

    @property
    def tile_origin(self) -> str | None:
        return tiles.origin(self.map_tile_url) if self.map_tile_url else None

    @property
    def vapid_subject(self) -> str:
        return f"mailto:{self.contact_email}" if self.contact_email else settings.PUBLIC_URL


class Topic(models.Model):
    tenant = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="topics")
    slug = models.SlugField(max_length=60)
    name = models.JSONField(help_text='Per language, e.g. {"de": "…", "en": "…"}')
    description = models.JSONField(default=dict, blank=True)
    # Position in the 64-bit interest mask used by the targeting fast path.
    bit = models.PositiveSmallIntegerField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "slug"], name="topic_unique_slug"),
            models.UniqueConstraint(fields=["tenant", "bit"], name="topic_unique_bit"),
            models.CheckConstraint(condition=models.Q(bit__lt=64), name="topic_bit_lt_64"),
        ]

    def __str__(self) -> str:
        return self.slug


class StaffMembership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    tenant = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="staff")
    role = models.CharField(max_length=20, choices=TOWN_ROLES)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "tenant"], name="staff_unique_user_tenant")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant.slug} ({self.role})"


class Operator(models.Model):
    """Staff of the hosting provider: admin rights in every town (with a second factor)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="operator"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.user)


class SignInGuard(models.Model):
    """Failed sign-ins of one account in a row; too many lock it for a while (whatever the
    address they come from, unlike the per-address rate limit)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sign_in_guard"
    )
    failures = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)


class ApiKey(models.Model):
    tenant = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    role = models.CharField(max_length=20, choices=TOWN_ROLES)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=tz.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.role}, {self.prefix}…)"
