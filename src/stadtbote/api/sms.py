"""SMS delivery reports: a Kannel-style gateway calls the dlr-url we gave it with each SMS."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema, Status

from stadtbote.api.schemas import ErrorOut
from stadtbote.api.views import client_ip, tenant_or_404
from stadtbote.core.errors import Forbidden, InvalidInput, RateLimited
from stadtbote.core.ratelimit import allow
from stadtbote.delivery import sms_receipts
from stadtbote.delivery.channels.sms.providers.http_gateway import parse_dlr

router = Router(tags=["sms"])

# Reports per client address and minute. Generous on purpose: one gateway reports every SMS
# of a warning to the whole town from one address, within a minute or two.
DLR_PER_MINUTE = 20_000


class DlrOut(Schema):
    recorded: int


@router.get(
    "/{tenant}/sms/dlr",
    response={200: DlrOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Receive an SMS delivery report (Kannel dlr-url)",
    description=(
        "Called by the town's HTTP SMS gateway with `id` (the message id we gave it, which "
        "carries a MAC), `type` (Kannel's %d: 1 delivered, 2 failed, 4 buffered, 8 accepted, "
        "16 rejected) and optionally `answer` (%A). A message id we did not make is refused "
        "with 403; repeated reports change nothing."
    ),
)
def sms_delivery_report(request: HttpRequest, tenant: str) -> Status:
    t = tenant_or_404(tenant)
    if not allow("sms-dlr", client_ip(request), DLR_PER_MINUTE, 60):
        raise RateLimited("too many delivery reports from this address; try again later")
    query = {key: request.GET.get(key, "") for key in ("id", "type", "at", "smsc_id", "answer")}
    try:
        receipt = parse_dlr(query)
    except ValueError as exc:
        raise InvalidInput(str(exc), code="invalid_report") from None
    if not sms_receipts.check_message_id(t.pk, receipt.message_id):
        raise Forbidden("not a message id of this service", code="invalid_signature")
    return Status(200, {"recorded": sms_receipts.record_dlr(t, receipt)})
