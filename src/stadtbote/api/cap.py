"""Staff endpoint for official warnings pushed to the town: a CAP 1.2 document in the body."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Schema

from stadtbote.api.auth import StaffKey, staff_for
from stadtbote.api.schemas import ErrorOut
from stadtbote.cap import reader
from stadtbote.cap.alert import CapError
from stadtbote.cap.models import SourceKind, WarningSource
from stadtbote.cap.relay import relay
from stadtbote.core.errors import Conflict, DomainError, InvalidInput

router = Router(tags=["warnings"])
staff = StaffKey()
CAP_TYPES = ("application/cap+xml", "application/xml", "text/xml")


class TooLarge(DomainError):
    status = 413
    code = "too_large"


class UnsupportedType(DomainError):
    status = 415
    code = "unsupported_media_type"


class WarningOut(Schema):
    outcome: str
    reason: str
    message_id: str | None
    duplicate: bool


@router.post(
    "/{tenant}/cap",
    response={
        200: WarningOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        413: ErrorOut,
        409: ErrorOut,
        415: ErrorOut,
        422: ErrorOut,
    },
    summary="Relay a CAP 1.2 alert (body: the XML document) by the town's relay rule",
    description=(
        "Alert, Update and Cancel chained by `references`. The same alert twice is handled "
        "once (`duplicate: true`). `outcome`: relayed, held (waits for a publisher), "
        "cancelled (all-clear sent), ignored, not_here, not_actual, expired."
    ),
    auth=staff,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/cap+xml": {"schema": {"type": "string"}}},
        }
    },
)
def push(request: HttpRequest, tenant: str) -> WarningOut:
    _, town = staff_for(request, tenant, "warning.push")
    content_type = request.content_type or ""
    if content_type not in CAP_TYPES:
        raise UnsupportedType(f"send the CAP document as {CAP_TYPES[0]}", field="Content-Type")
    # Django's own limit on a request body may be the lower one.
    limit = min(reader.MAX_BYTES, settings.DATA_UPLOAD_MAX_MEMORY_SIZE or reader.MAX_BYTES)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise InvalidInput("not a number", field="Content-Length") from None
    if length > limit:
        raise TooLarge(f"at most {limit} bytes", field="body")
    # A town that switched its push source off takes no pushed warnings: its rule is "none".
    source = (
        WarningSource.objects.filter(tenant=town, kind=SourceKind.PUSH, enabled=True)
        .order_by("pk")
        .first()
    )
    if source is None:
        raise Conflict("this town takes no pushed warnings (no enabled push source)",
                       code="no_push_source")  # fmt: skip
    try:
        alert = reader.read(request.body)
    except RequestDataTooBig:
        raise TooLarge(f"at most {limit} bytes", field="body") from None
    except CapError as exc:
        raise InvalidInput(str(exc), field="body", code="invalid_cap") from None
    with transaction.atomic():
        handled = relay(town, source, alert)
    return WarningOut(
        outcome=handled.outcome,
        reason=handled.reason,
        message_id=handled.message_id,
        duplicate=handled.duplicate,
    )
