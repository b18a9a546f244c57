"""The town's knowledge: pages the assistant answers from, and the town's own synonyms."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from stadtbote.tenants.models import Municipality


class Origin(models.TextChoices):
    IMPORT = "import", "Imported (kb import)"
    STAFF = "staff", "Written by staff"
    MESSAGE = "message", "A published message"
    CATEGORY = "category", "A report category"
    CONTACT = "contact", "Office hours and contacts"
    ANSWER = "answer", "An answer to an inquiry"


class Entry(models.Model):
    """One page of the knowledge base. ``url`` is where citizens read it in full: every answer
    cites it, so it identifies the entry within the town."""

    tenant = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    url = models.CharField(max_length=500)
    title = models.CharField(max_length=300)
    body = models.TextField(help_text="Markdown; '## ' headings start the passages")
    language = models.CharField(max_length=8, default="de")
    tags = models.JSONField(default=list, blank=True)
    translation_of = models.CharField(max_length=500, blank=True)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.STAFF)
    # For an answer entry: the inquiry or report it was made from, so a second "add to the
    # knowledge base" updates the same entry.
    case = models.ForeignKey(
        "reports.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "url"], name="kb_entry_unique_url"),
        ]
        indexes = [models.Index(fields=["tenant", "updated_at"], name="kb_entry_recent")]
        verbose_name_plural = "entries"

    def __str__(self) -> str:
        return self.title


class Synonym(models.Model):
    """A word citizens use for what the pages call otherwise ("perso" → "personalausweis")."""

    tenant = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    term = models.CharField(max_length=100)
    expansions = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "term"], name="kb_synonym_unique_term"),
        ]

    def __str__(self) -> str:
        return self.term


class Disclosure(models.Model):
    """The notice that the citizen is talking to an AI system (EU AI Act Art. 50), each
    version and language as it was shown, so it can be shown what anyone was told."""

    version = models.CharField(max_length=40)
    language = models.CharField(max_length=8)
    text = models.TextField()
    first_shown_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "language"], name="disclosure_once"),
        ]

    def __str__(self) -> str:
        return f"{self.version} ({self.language})"


class Question(models.Model):
    """One question and what the assistant did with it, for quality review; deleted after
    ``RETENTION`` (service.py). No name, address or account: only what was typed."""

    tenant = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    # What the asker's app holds to rate the answer or pass it to staff: not guessable, so
    # nobody else can rate or forward another person's question.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    text = models.CharField(max_length=1000)
    language = models.CharField(max_length=8)
    # What the citizen was shown: the review needs it, and the chat shows the conversation
    # again after a reload (the answer is the town's own text, no personal data).
    answer = models.TextField(blank=True)
    # Worded by a language model from the passages (the generative mode), which the review
    # should read with more care than a quoted passage.
    generated = models.BooleanField(default=False)
    answered = models.BooleanField()
    refusal = models.CharField(max_length=12, blank=True)
    confidence = models.FloatField(default=0.0)
    sources = models.JSONField(default=list, blank=True)
    disclosure = models.CharField(max_length=40)
    helpful = models.BooleanField(null=True, blank=True)  # the citizen's thumbs up/down
    # Staff looked at it in the review list (and fixed the knowledge, or found nothing to fix).
    reviewed = models.BooleanField(default=False)
    # The inquiry case it became, if the citizen passed it to staff.
    case = models.ForeignKey(
        "reports.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    asked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["tenant", "-asked_at"], name="kb_question_recent")]

    def __str__(self) -> str:
        return self.text[:60]
