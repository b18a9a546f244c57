"""GDPR: erasure and export across subscribers and their delivery records."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat

from stadtbote.delivery.models import OPEN_STATUSES, Delivery, InboxRead, Kind, Status
from stadtbote.subscribers import service as subscribers
from stadtbote.subscribers.models import Subscriber


def erase_subscriber(sub: Subscriber) -> None:
    """Erase a subscriber (Art. 17). Their delivery rows stay as anonymous counts: the link
    to the person and the address digest are removed, open ones are cancelled."""
    with transaction.atomic():
        rows = Delivery.objects.filter(subscriber=sub)
        rows.filter(status__in=OPEN_STATUSES).exclude(status=Status.SENDING).update(
            status=Status.CANCELLED, reason="subscriber erased"
        )
        # The address digest is derived from the e-mail address; replace it with a value that
        # is unique per row (the idempotency constraint) and says nothing about the person.
        rows.update(
            address_key=Concat(
                Value("erased:"), F("id"), output_field=Delivery._meta.get_field("address_key")
            ),
            subscriber=None,
            channel=None,
        )
        subscribers.erase(sub)


def export_subscriber(sub: Subscriber) -> dict[str, Any]:
    """Everything stored about a subscriber (Art. 15 and 20)."""
    data = subscribers.export(sub)
    data["deliveries"] = [
        {
            "message": str(d["message_id"]),
            "kind": d["kind"],
            "channel": d["channel_type"],
            "status": d["status"],
            "attempts": d["attempts"],
            "sent_at": d["sent_at"].isoformat() if d["sent_at"] else None,
            "created_at": d["created_at"].isoformat(),
        }
        for d in Delivery.objects.filter(subscriber=sub)
        .order_by("-created_at")
        .values("message_id", "kind", "channel_type", "status", "attempts", "sent_at", "created_at")
    ]
    data["read"] = [
        {"message": str(mid), "read_at": at.isoformat()}
        for mid, at in InboxRead.objects.filter(subscriber=sub)
        .order_by("read_at")
        .values_list("message_id", "read_at")
    ]
    return data


def inbox_message_ids(sub: Subscriber, limit: int = 100) -> list[str]:
    """Messages that reached the subscriber on any channel, newest first."""
    rows = (
        Delivery.objects.filter(subscriber=sub, kind=Kind.MESSAGE, status=Status.SENT)
        .values_list("message_id", "message__published_at")
        .order_by("-message__published_at")
    )
    seen: list[str] = []
    for mid, _ in rows[: limit * 3]:
        if str(mid) not in seen:
            seen.append(str(mid))
    return seen[:limit]
