"""Staff endpoints for messages: create/publish, deliveries summary, approve, cancel."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router, Status

from stadtbote.api.auth import StaffKey, staff_for
from stadtbote.api.public import public_message
from stadtbote.api.schemas import ErrorOut, MessageCreated, MessageIn
from stadtbote.api.views import cached_json, tenant_or_404
from stadtbote.core.errors import Conflict, NotFound
from stadtbote.core.microcache import MicroCache
from stadtbote.delivery import dispatch
from stadtbote.delivery.progress import arrival
from stadtbote.delivery.summary import summary
from stadtbote.messages import service
from stadtbote.messages.models import Message, MessageStatus

router = Router(tags=["messages"])
staff = StaffKey()


def _message(tenant_id: int, message_id: str) -> Message:
    import uuid

    try:
        pk = uuid.UUID(message_id)
    except ValueError:
        raise NotFound("no such message") from None
    m = Message.objects.filter(tenant_id=tenant_id, pk=pk).select_related("tenant").first()
    if m is None:
        raise NotFound("no such message")
    return m


@router.post(
    "/{tenant}/messages",
    response={201: MessageCreated, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Create and publish, schedule (send_at) or hold for approval (hold)",
    auth=staff,
)
def create(request: HttpRequest, tenant: str, payload: MessageIn) -> Status:
    key, t = staff_for(request, tenant, "message.create")
    with transaction.atomic():
        message = service.create(t, payload.model_dump(), key)
        dispatch.submit(message)
    return Status(201, {"id": str(message.id), "status": message.status})


@router.get("/{tenant}/messages/{message_id}/deliveries", summary="Delivery summary", auth=staff)
def deliveries(request: HttpRequest, tenant: str, message_id: str) -> dict[str, Any]:
    _, t = staff_for(request, tenant, "message.read_deliveries")
    message = _message(t.pk, message_id)
    counts = summary(message, list(message.channels))
    # Publish-to-device seconds from push receipts, per push channel.
    counts["arrival"] = {
        channel: {"received": a.received, "p50_s": a.p50, "p90_s": a.p90}
        for channel, a in arrival(message).items()
    }
    return counts


@router.post(
    "/{tenant}/messages/{message_id}/approve",
    response={200: MessageCreated, 409: ErrorOut},
    summary="Approve a held message",
    auth=staff,
)
def approve(request: HttpRequest, tenant: str, message_id: str) -> dict[str, str]:
    _, t = staff_for(request, tenant, "message.approve")
    message = _message(t.pk, message_id)
    if not dispatch.approve(message):
        raise Conflict(
            f"only held messages can be approved; this one is {message.status}", code="not_held"
        )
    return {"id": str(message.id), "status": message.status}


@router.post(
    "/{tenant}/messages/{message_id}/cancel", summary="Withdraw; whoever got it is told", auth=staff
)
def cancel(request: HttpRequest, tenant: str, message_id: str) -> dict[str, Any]:
    _, t = staff_for(request, tenant, "message.cancel")
    message = _message(t.pk, message_id)
    stopped = dispatch.cancel(message)
    return {"id": str(message.id), "status": MessageStatus.CANCELLED, "stopped": stopped}


@router.get("/{tenant}/messages", summary="Current public messages, newest first (cacheable)")
def messages(request: HttpRequest, tenant: str, limit: int = 50) -> HttpResponse:
    t = tenant_or_404(tenant)
    now = timezone.now()
    limit = max(1, min(limit, 200))
    current = (
        Message.objects.filter(tenant=t, status=MessageStatus.PUBLISHED)
        .exclude(expires_at__lte=now)
        .select_related("tenant")
        .prefetch_related("topics")
        .order_by("-published_at")[:limit]
    )
    items = [public_message(m) for m in current]
    # Expiry changes the list without a version bump, so the minute is part of the fingerprint.
    fingerprint = f"list:{t.pk}:{now:%Y%m%d%H%M}:" + ",".join(
        f"{i['id']}:{m.version}" for i, m in zip(items, current, strict=True)
    )
    return cached_json(request, items, max_age=30, fingerprint=fingerprint)


@router.get("/{tenant}/messages/{message_id}", summary="One public message (cacheable)")
def message_detail(request: HttpRequest, tenant: str, message_id: str) -> HttpResponse:
    # Under a warning storm the same message is asked for thousands of times a second; each
    # worker process answers from its copy for a moment (at most STADTBOTE_MICROCACHE_S old).
    key = (tenant, message_id)
    hit = _DETAILS.get(key, settings.STADTBOTE_MICROCACHE_S)
    if hit is None:
        t = tenant_or_404(tenant)
        m = (
            Message.objects.filter(
                tenant=t,
                pk=_uuid(message_id),
                status__in=[MessageStatus.PUBLISHED, MessageStatus.CANCELLED],
            )
            .select_related("tenant")
            .prefetch_related("topics")
            .first()
        )
        if m is None:
            raise NotFound("no such message")
        hit = (public_message(m), f"msg:{m.pk}:{m.version}")
        _DETAILS.put(key, hit)
    data, fingerprint = hit
    return cached_json(request, data, max_age=60, fingerprint=fingerprint)


_DETAILS: MicroCache[tuple[dict[str, Any], str]] = MicroCache(ttl_s=2.0, size=256)


def _uuid(value: str) -> str:
    import uuid

    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise NotFound("no such message") from None
