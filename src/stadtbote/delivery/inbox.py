"""A subscriber's inbox: what reached them, current warnings for their places, read state."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from stadtbote.core.severity import Severity
from stadtbote.delivery.inbox_rules import order_entries
from stadtbote.delivery.models import InboxRead
from stadtbote.delivery.privacy import inbox_message_ids
from stadtbote.geo import fastpath
from stadtbote.geo import service as geo
from stadtbote.messages.models import Message, MessageStatus
from stadtbote.subscribers.models import Subscriber

MAX_ENTRIES = 100


@dataclass(frozen=True)
class Entry:
    message: Message
    received: bool  # it was delivered to one of the subscriber's channels
    read: bool


def current_warnings_for(sub: Subscriber, now: datetime | None = None) -> list[Message]:
    """Published, unexpired warnings (minor and up) whose area reaches one of the places.

    The place half of the targeting rule only: a warning for my street concerns me even when
    it is below the threshold I chose for being woken by a push.
    """
    now = now or timezone.now()
    places = geo.places_of(sub.tenant, sub.pk)
    if not len(places):
        return []
    candidates = (
        Message.objects.filter(
            tenant=sub.tenant, status=MessageStatus.PUBLISHED, severity__gte=Severity.MINOR
        )
        .exclude(expires_at__lte=now)
        .exclude(updates__status=MessageStatus.PUBLISHED)  # the newest version stands for all
        .order_by("-published_at")[:MAX_ENTRIES]
    )
    found = []
    for m in candidates:
        # Severity EXTREME with no topics: everyone is "interested", so only the place decides.
        compiled = geo.compile_target(sub.tenant, Severity.EXTREME, 0, m.area)
        if len(fastpath.match(places, compiled)):
            found.append(m)
    return found


def entries(sub: Subscriber, now: datetime | None = None) -> list[Entry]:
    received_ids = inbox_message_ids(sub, limit=MAX_ENTRIES)
    received = {
        str(m.id): m for m in Message.objects.filter(pk__in=received_ids).select_related("tenant")
    }
    warnings = {str(m.id): m for m in current_warnings_for(sub, now)}
    read = {
        str(i)
        for i in InboxRead.objects.filter(subscriber=sub).values_list("message_id", flat=True)
    }
    merged = {**warnings, **received}
    ordered = order_entries(
        (mid, m.severity, m.status == MessageStatus.CANCELLED, m.published_at)
        for mid, m in merged.items()
    )
    return [Entry(merged[mid], mid in received, mid in read) for mid in ordered[:MAX_ENTRIES]]


def mark_read(sub: Subscriber, message_ids: Iterable[str]) -> int:
    """Mark messages of the subscriber's tenant read; unknown or malformed ids are ignored."""
    wanted = []
    for value in message_ids:
        try:
            wanted.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    ids = Message.objects.filter(tenant=sub.tenant, pk__in=wanted).values_list("pk", flat=True)
    done = 0
    for mid in ids:
        try:
            with transaction.atomic():
                _, created = InboxRead.objects.get_or_create(subscriber=sub, message_id=mid)
        except IntegrityError:  # a second tab marked it at the same moment
            created = False
        done += int(created)
    return done


def unread_count(sub: Subscriber) -> int:
    return sum(1 for e in entries(sub) if not e.read)
