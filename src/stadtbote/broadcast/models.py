"""The town's broadcast accounts and what was posted to them.

Secrets never live here: an account names the environment variable that holds its token (or
its whole Apprise URL), so a database dump or an admin screen cannot leak it.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from stadtbote.core.severity import Severity
from stadtbote.delivery.channels.broadcast import HostNotAllowed, check_host
from stadtbote.messages.models import Message
from stadtbote.tenants.models import Municipality, Topic

ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,99}$")
TELEGRAM_CHAT = re.compile(r"^(@[A-Za-z][A-Za-z0-9_]{3,31}|-?\d{1,20})$")
MATRIX_ROOM = re.compile(r"^[!#][^:\s]+:[A-Za-z0-9.\-\[\]:]+$")


class AccountKind(models.TextChoices):
    MASTODON = "mastodon", "Mastodon"
    TELEGRAM = "telegram", "Telegram channel"
    MATRIX = "matrix", "Matrix room"
    APPRISE = "apprise", "Apprise URL(s)"


class BroadcastAccount(models.Model):
    tenant = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="broadcast_accounts"
    )
    kind = models.CharField(max_length=16, choices=AccountKind.choices)
    name = models.CharField(max_length=100, help_text="For staff, e.g. 'Mastodon @musterstadt'")
    target = models.CharField(
        max_length=300,
        blank=True,
        help_text="Mastodon: instance URL (https://social.example). Telegram: @channel or "
        "numeric chat id. Matrix: homeserver URL. Apprise: empty (the URL is the secret).",
    )
    room = models.CharField(
        max_length=255, blank=True, help_text="Matrix only: room id (!…:server) or alias (#…)"
    )
    secret_env = models.CharField(
        max_length=100,
        help_text="Name of the environment variable holding the access token (Apprise: the "
        "whole URL, or several separated by commas)",
    )
    language = models.CharField(
        max_length=8, blank=True, help_text="Post in this language (empty: the town's default)"
    )
    min_severity = models.PositiveSmallIntegerField(
        default=Severity.INFO, choices=[(int(s), s.label) for s in Severity]
    )
    topics = models.ManyToManyField(
        Topic,
        blank=True,
        related_name="+",
        help_text="Only messages with one of these topics (empty: all); severe and extreme "
        "warnings are always posted",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["tenant", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    def save(self, *args: object, **kwargs: object) -> None:
        # Also outside forms: an account must never point off the allow-list.
        self.clean()
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not ENV_NAME.match(self.secret_env or ""):
            hint = "An environment variable name, e.g. MUSTERSTADT_MASTODON_TOKEN"
            errors["secret_env"] = hint
        allowed = settings.STADTBOTE_BROADCAST_ALLOWED_HOSTS
        try:
            if self.kind in (AccountKind.MASTODON, AccountKind.MATRIX):
                self.target = self.target.strip().rstrip("/")
                if "/" in self.target.removeprefix("https://").removeprefix("http://"):
                    raise HostNotAllowed("the instance address only, without a path")
                check_host(self.target, allowed)
            elif self.kind == AccountKind.TELEGRAM:
                check_host("https://api.telegram.org/", allowed)
        except HostNotAllowed as exc:
            errors["target"] = str(exc)
        if self.kind == AccountKind.TELEGRAM and not TELEGRAM_CHAT.match(self.target):
            errors["target"] = "@channelname or the numeric chat id"
        if self.kind == AccountKind.MATRIX and not MATRIX_ROOM.match(self.room):
            errors["room"] = "A room id (!abc:example.org) or alias (#name:example.org)"
        if self.kind != AccountKind.MATRIX and self.room:
            errors["room"] = "Only Matrix accounts have a room"
        if self.kind == AccountKind.APPRISE and self.target:
            errors["target"] = "Leave empty: the Apprise URL holds credentials, keep it in the env"
        if errors:
            raise ValidationError(errors)

    def carries(self, message: Message, topic_ids: set[int]) -> bool:
        """Whether a message of this severity and these topics belongs on this account."""
        if message.severity < self.min_severity:
            return False
        wanted = {t.pk for t in self.topics.all()}
        return not wanted or bool(wanted & topic_ids) or message.severity >= Severity.SEVERE


class PostKind(models.TextChoices):
    MESSAGE = "message", "Message"
    UPDATE = "update", "Update"
    WITHDRAWAL = "withdrawal", "Withdrawal"


class PostStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"  # claimed by a worker (lease_until)
    SENT = "sent", "Sent"
    RETRY = "retry", "Waiting for a retry"
    FAILED = "failed", "Failed"


class BroadcastPost(models.Model):
    account = models.ForeignKey(BroadcastAccount, on_delete=models.CASCADE, related_name="posts")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=PostKind.choices)
    status = models.CharField(max_length=16, choices=PostStatus.choices, default=PostStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    not_before = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    remote_id = models.CharField(max_length=255, blank=True)
    url = models.URLField(max_length=500, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Nothing is posted twice: one row per account, message and kind.
            models.UniqueConstraint(
                fields=["account", "message", "kind"], name="broadcast_post_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id} → {self.account_id}"

    @property
    def key(self) -> str:
        """The idempotency key: the same for every attempt at this post."""
        return f"stadtbote:{self.message_id}:{self.kind}:{self.account_id}"
