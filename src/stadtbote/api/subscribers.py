"""Subscriber endpoints: public sign-up, then everything with the subscriber's own token."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status

from stadtbote.api.auth import SubscriberToken, subscriber_for
from stadtbote.api.public import public_message
from stadtbote.api.schemas import ErrorOut, SubscriberCreated, SubscriberIn, SubscriberPatch
from stadtbote.api.views import client_ip, tenant_or_404
from stadtbote.core.errors import InvalidInput, RateLimited
from stadtbote.core.ratelimit import allow
from stadtbote.delivery import privacy
from stadtbote.delivery.channels.sms.numbers import normalise_number
from stadtbote.messages.models import Message
from stadtbote.subscribers import service, sms_codes
from stadtbote.subscribers.models import ChannelStatus

router = Router(tags=["subscribers"])
token_auth = SubscriberToken()

# Sign-ups per client address and hour: generous for a shared town-hall Wi-Fi, tight for a bot.
SIGNUPS_PER_HOUR = 30
# Changes per subscriber and hour: each new e-mail address triggers a confirmation mail, and a
# token must not become a way to mail arbitrary addresses.
CHANGES_PER_HOUR = 30


@router.post(
    "/{tenant}/subscribers",
    response={201: SubscriberCreated, 422: ErrorOut, 429: ErrorOut},
    summary="Subscribe",
)
def create(request: HttpRequest, tenant: str, payload: SubscriberIn) -> Status:
    t = tenant_or_404(tenant)
    if not allow("signup", f"{t.pk}:{client_ip(request)}", SIGNUPS_PER_HOUR, 3600):
        raise RateLimited("too many sign-ups from this address; try again later")
    sub, token = service.create(t, payload.model_dump(exclude_none=True))
    channels = [{"type": c.type, "status": c.status} for c in sub.channels.order_by("id")]
    return Status(201, {"id": str(sub.public_id), "token": token, "channels": channels})


@router.get(
    "/{tenant}/subscribers/{subscriber_id}", auth=token_auth, summary="Read my subscription"
)
def read(request: HttpRequest, tenant: str, subscriber_id: str) -> dict[str, Any]:
    return service.describe(subscriber_for(request, tenant, subscriber_id))


@router.patch(
    "/{tenant}/subscribers/{subscriber_id}", auth=token_auth, summary="Change my subscription"
)
def patch(
    request: HttpRequest, tenant: str, subscriber_id: str, payload: SubscriberPatch
) -> dict[str, Any]:
    sub = subscriber_for(request, tenant, subscriber_id)
    if not allow("subscriber-change", str(sub.pk), CHANGES_PER_HOUR, 3600):
        raise RateLimited("too many changes; try again later")
    changes = payload.model_dump(exclude_unset=True)
    service.update(sub, changes)
    return service.describe(sub)


class SmsCodeIn(Schema):
    code: str = Field(..., max_length=12)
    # Which number, when the subscriber has added more than one (else the one awaiting a code).
    address: str | None = Field(None, max_length=40)


# Guesses per subscriber and hour across all its numbers (each number also dies after 5).
CODE_TRIES_PER_HOUR = 20


@router.post(
    "/{tenant}/subscribers/{subscriber_id}/confirm-sms",
    auth=token_auth,
    response={200: dict[str, Any], 404: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Confirm my phone number with the code sent to it",
)
def confirm_sms(
    request: HttpRequest, tenant: str, subscriber_id: str, payload: SmsCodeIn
) -> dict[str, Any]:
    sub = subscriber_for(request, tenant, subscriber_id)
    if not allow("sms-code-try", str(sub.pk), CODE_TRIES_PER_HOUR, 3600):
        raise RateLimited("too many attempts; try again later")
    numbers = sub.channels.filter(type="sms").order_by("id")
    if payload.address:
        try:
            wanted = normalise_number(payload.address)
        except ValueError as exc:
            raise InvalidInput(str(exc), field="address", code="invalid_number") from None
        numbers = numbers.filter(address=wanted)
    else:
        numbers = numbers.filter(status=ChannelStatus.PENDING)
    channel = numbers.first()
    if channel is None:
        raise InvalidInput("no phone number of yours awaits a code", field="address")
    sms_codes.confirm(channel, payload.code)
    return service.describe(sub)


@router.delete(
    "/{tenant}/subscribers/{subscriber_id}",
    auth=token_auth,
    response={204: None},
    summary="Erase me",
)
def delete(request: HttpRequest, tenant: str, subscriber_id: str) -> Status:
    privacy.erase_subscriber(subscriber_for(request, tenant, subscriber_id))
    return Status(204, None)


@router.get(
    "/{tenant}/subscribers/{subscriber_id}/export",
    auth=token_auth,
    summary="Everything stored about me",
)
def export(request: HttpRequest, tenant: str, subscriber_id: str) -> HttpResponse:
    import json

    data = privacy.export_subscriber(subscriber_for(request, tenant, subscriber_id))
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="stadtbote-{tenant}-export.json"'
    response["Cache-Control"] = "no-store"
    return response


@router.get(
    "/{tenant}/subscribers/{subscriber_id}/inbox",
    auth=token_auth,
    summary="Messages that reached me",
)
def inbox(request: HttpRequest, tenant: str, subscriber_id: str) -> list[dict[str, Any]]:
    sub = subscriber_for(request, tenant, subscriber_id)
    ids = privacy.inbox_message_ids(sub)
    by_id = {
        str(m.id): m
        for m in Message.objects.filter(pk__in=ids)
        .select_related("tenant")
        .prefetch_related("topics")
    }
    return [public_message(by_id[i]) for i in ids if i in by_id]
