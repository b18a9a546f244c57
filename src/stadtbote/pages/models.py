"""Texts every German municipal site must publish, and the accessibility feedback channel."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from stadtbote.tenants.models import Municipality


class TextKind(models.TextChoices):
    ACCESSIBILITY = "accessibility", "Accessibility statement (Erklärung zur Barrierefreiheit)"
    PRIVACY = "privacy", "Privacy notice (Datenschutzerklärung)"
    IMPRINT = "imprint", "Imprint (Impressum)"


class PublicText(models.Model):
    tenant = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="texts")
    kind = models.CharField(max_length=20, choices=TextKind.choices)
    language = models.CharField(max_length=8)
    title = models.CharField(max_length=200)
    # Markdown; raw HTML is not rendered (see pages.render).
    body = models.TextField()
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kind", "language"], name="public_text_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tenant.slug}/{self.kind}/{self.language}"


class Feedback(models.Model):
    """A barrier a citizen reports (BITV 2.0 § 7 feedback mechanism)."""

    tenant = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="feedback")
    page = models.CharField(max_length=300, blank=True)
    text = models.TextField()
    name = models.CharField(max_length=120, blank=True)
    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    handled = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "feedback"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.tenant.slug}: {self.text[:40]}"
