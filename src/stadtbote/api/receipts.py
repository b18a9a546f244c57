"""Push receipts: the service worker and the native apps say a message arrived."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from stadtbote.api.schemas import ErrorOut
from stadtbote.api.views import client_ip, tenant_or_404
from stadtbote.core.errors import InvalidInput, RateLimited
from stadtbote.core.ratelimit import allow
from stadtbote.delivery import receipts

router = Router(tags=["receipts"])

# Receipts per client address and minute. Generous on purpose: behind a mobile carrier's NAT
# thousands of phones share one address, and all of them answer the same warning at once.
RECEIPTS_PER_MINUTE = 5000
MAX_PER_CALL = 50


class ReceiptIn(Schema):
    receipt: str | None = Field(None, max_length=64)
    # An app that was offline may report several at once.
    receipts: list[str] | None = Field(None, max_length=MAX_PER_CALL)


@router.post(
    "/{tenant}/receipts",
    response={204: None, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Report that a push message arrived",
    description=(
        "Sent by the service worker and the native apps with the `receipt` value of a push "
        "payload. Idempotent; unknown or forged receipts are refused with 422."
    ),
)
def report_receipt(request: HttpRequest, tenant: str, payload: ReceiptIn) -> Status:
    t = tenant_or_404(tenant)
    if not allow("receipt", f"{t.pk}:{client_ip(request)}", RECEIPTS_PER_MINUTE, 60):
        raise RateLimited("too many receipts from this address; try again later")
    given = ([payload.receipt] if payload.receipt else []) + list(payload.receipts or [])
    if not given:
        raise InvalidInput("give receipt or receipts", field="receipt")
    ids = []
    for i, value in enumerate(given):
        delivery_id = receipts.parse(value)
        if delivery_id is None:
            field = (
                "receipt"
                if payload.receipt and i == 0
                else f"receipts[{i - bool(payload.receipt)}]"
            )
            raise InvalidInput("not a receipt of this service", field=field, code="invalid_receipt")
        ids.append(delivery_id)
    receipts.record(t, ids, timezone.now())
    return Status(204, None)
