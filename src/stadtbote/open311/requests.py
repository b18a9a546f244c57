"""Open311 service requests: POST (api_key required), GET many with the spec's filters and
limits, GET one, tokens, and the widely used ``servicerequestupdates`` extension.

Only moderated (published) cases are visible: nothing a citizen wrote is public before a
person has checked it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from stadtbote.core import ratelimit
from stadtbote.core.errors import InvalidInput
from stadtbote.core.roles import allows
from stadtbote.open311.views import Open311Error, _handled, _text, jurisdiction, respond
from stadtbote.reports import service
from stadtbote.reports.models import Case, CaseEvent, CasePhoto, Category, EventKind
from stadtbote.reports.states import OPEN, CaseStatus, open311_status
from stadtbote.tenants import keys

DEFAULT_SPAN = timedelta(days=90)
MAX_SPAN = timedelta(days=90)
MAX_RESULTS = 1000
MAX_DESCRIPTION = 4000  # the spec's limit
# Per api_key and hour: a town's busiest app sends a few hundred; a runaway loop is stopped.
REQUESTS_PER_KEY_AND_HOUR = 600


def attributes(data: QueryDict) -> dict[str, Any]:
    """``attribute[code]=v`` and, for multi-value lists, ``attribute[code][]=v`` (repeated)."""
    found: dict[str, Any] = {}
    for name in data:
        if not (name.startswith("attribute[") and name.endswith("]")):
            continue
        inner = name[len("attribute[") : -1]
        if inner.endswith("]["):  # attribute[code][]
            found[inner[:-2]] = data.getlist(name)
        else:
            values = data.getlist(name)
            found[inner] = values if len(values) > 1 else values[0]
    return found


@csrf_exempt  # server-to-server API authenticated by api_key, not a browser form
@require_POST
@_handled
def create(request: HttpRequest, fmt: str) -> HttpResponse:
    data = request.POST
    key = keys.authenticate(data.get("api_key") or "")
    tenant = jurisdiction(request)
    if key is None or key.tenant_id != tenant.pk or not allows(key.role, "report.create"):
        raise Open311Error(403, "Invalid api_key received -- can't proceed with create_request.")
    if not ratelimit.allow("open311", str(key.pk), REQUESTS_PER_KEY_AND_HOUR, 3600):
        raise Open311Error(429, "Too many requests for this api_key; try again within the hour.")
    code = (data.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, "service_code was not provided")
    if not Category.objects.filter(tenant=tenant, slug=code, active=True, kind="report").exists():
        raise Open311Error(404, f"service_code {code!r} was not found")
    description = data.get("description") or ""
    if len(description) > MAX_DESCRIPTION:
        raise Open311Error(400, f"description: at most {MAX_DESCRIPTION} characters")
    name = " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)
    body = {
        "category": code,
        "lat": data.get("lat"),
        "lon": data.get("long"),
        "address": data.get("address_string") or data.get("address_id") or "",
        "description": description,
        "answers": attributes(data),
        "email": data.get("email"),
        "name": name,
        "phone": data.get("phone"),
        "media_url": data.get("media_url"),
    }
    try:
        case = service.create_case(tenant, body, key=key)
    except InvalidInput as exc:
        field = (exc.field or "").replace("location", "lat").replace("lon", "long")
        raise Open311Error(400, f"{field}: {exc.args[0]}" if field else str(exc.args[0])) from None
    due = case.first_response_due.isoformat()
    notice = f"First answer due by {due}; fix expected by {case.resolve_due.isoformat()}."
    return respond(
        "service_requests",
        [{"service_request_id": str(case.number), "service_notice": notice, "account_id": None}],
        fmt,
        status=201,
    )


def _status_notes(case: Case) -> str | None:
    last = (
        CaseEvent.objects.filter(
            case=case, public=True, kind__in=[EventKind.STATUS, EventKind.REPLY]
        )
        .exclude(text="")
        .order_by("-at", "-id")
        .first()
    )
    return last.text if last else None


def _media_url(case: Case) -> str | None:
    if CasePhoto.objects.filter(case=case, hidden=False).exists():
        return f"{settings.PUBLIC_URL}/api/v1/{case.tenant.slug}/reports/{case.public_id}/photos/0"
    return case.media_url or None


def request_document(case: Case) -> dict[str, Any]:
    tenant = case.tenant
    status = CaseStatus(case.status)
    closed = status not in OPEN
    return {
        "service_request_id": str(case.number),
        "status": open311_status(status),
        "status_notes": _status_notes(case),
        "service_name": _text(case.category.name, tenant),
        "service_code": case.category.slug,
        "description": case.public_description or None,
        "agency_responsible": _text(case.department.name, tenant),
        "service_notice": None,
        "requested_datetime": _w3(case.created_at),
        "updated_datetime": _w3(case.updated_at),
        "expected_datetime": None if closed else _w3(case.resolve_due),
        "address": case.address or None,
        "address_id": None,
        "zipcode": None,
        "lat": case.lat,
        "long": case.lon,
        "media_url": _media_url(case),
    }


def _w3(value: datetime) -> str:
    return value.astimezone(timezone.get_current_timezone()).isoformat(timespec="seconds")


def _when(request: HttpRequest, name: str) -> datetime | None:
    raw = (request.GET.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(
            400, f"{name} must be a W3C date and time, e.g. 2026-11-01T00:00:00Z"
        ) from None
    if value.tzinfo is None:
        raise Open311Error(400, f"{name} must include a time zone (Z or +HH:MM)")
    return value


def _published(tenant_id: int):
    # Questions to staff (inquiries) are never public, whatever a moderator clicked.
    return Case.objects.filter(
        tenant_id=tenant_id, published=True, category__kind="report"
    ).select_related("category", "department", "tenant")


@require_GET
@_handled
def search(request: HttpRequest, fmt: str) -> HttpResponse:
    tenant = jurisdiction(request)
    cases = _published(tenant.pk)
    ids = [i.strip() for i in (request.GET.get("service_request_id") or "").split(",") if i.strip()]
    if ids:  # overrides all other arguments
        numbers = [int(i) for i in ids if i.isdigit()]
        cases = cases.filter(number__in=numbers)
    else:
        start, end = _when(request, "start_date"), _when(request, "end_date")
        now = timezone.now()
        if start and end and end - start > MAX_SPAN:
            raise Open311Error(400, "start_date and end_date may not span more than 90 days")
        end = end or (start + DEFAULT_SPAN if start else now)
        start = start or end - DEFAULT_SPAN
        cases = cases.filter(created_at__gte=start, created_at__lte=end)
        codes = [c.strip() for c in (request.GET.get("service_code") or "").split(",") if c.strip()]
        if codes:
            cases = cases.filter(category__slug__in=codes)
        wanted = {s.strip() for s in (request.GET.get("status") or "").split(",") if s.strip()}
        if wanted - {"open", "closed"}:
            raise Open311Error(400, "status must be open or closed")
        if wanted == {"open"}:
            cases = cases.filter(status__in=[s.value for s in OPEN])
        elif wanted == {"closed"}:
            cases = cases.exclude(status__in=[s.value for s in OPEN])
    documents = [request_document(c) for c in cases.order_by("-created_at")[:MAX_RESULTS]]
    return respond("service_requests", documents, fmt)


@require_GET
@_handled
def one(request: HttpRequest, number: str, fmt: str) -> HttpResponse:
    tenant = jurisdiction(request)
    case = _published(tenant.pk).filter(number=int(number)).first() if number.isdigit() else None
    if case is None:
        raise Open311Error(404, f"service_request_id {number!r} was not found")
    return respond("service_requests", [request_document(case)], fmt)


@require_GET
@_handled
def token(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    """Requests are answered in real time (``type`` realtime), so tokens are never needed; a
    report's public id works as its token for clients that ask anyway."""
    tenant = jurisdiction(request)
    try:
        case = Case.objects.filter(tenant=tenant, public_id=token).first()
    except ValidationError:  # not a UUID
        case = None
    if case is None:
        raise Open311Error(404, f"token {token!r} was not found")
    return respond(
        "service_requests", [{"service_request_id": str(case.number), "token": token}], fmt
    )


@require_GET
@_handled
def updates(request: HttpRequest, fmt: str) -> HttpResponse:
    """The ``servicerequestupdates`` extension (as FixMyStreet and Mark-a-Spot serve it)."""
    tenant = jurisdiction(request)
    start, end = _when(request, "start_date"), _when(request, "end_date")
    end = end or timezone.now()
    start = start or end - DEFAULT_SPAN
    if end - start > MAX_SPAN:
        raise Open311Error(400, "start_date and end_date may not span more than 90 days")
    events = (
        CaseEvent.objects.filter(
            case__tenant=tenant,
            case__published=True,
            case__category__kind="report",  # questions to staff are never public
            public=True,
            kind__in=[EventKind.STATUS, EventKind.REPLY, EventKind.MERGED],
            at__gte=start,
            at__lte=end,
        )
        .select_related("case")
        .order_by("at", "id")[:MAX_RESULTS]
    )
    documents = [
        {
            "update_id": str(e.pk),
            "service_request_id": str(e.case.number),
            "status": open311_status(CaseStatus(e.new_status or e.case.status)),
            "updated_datetime": _w3(e.at),
            "description": e.text or None,
            "media_url": None,
        }
        for e in events
    ]
    return respond("service_request_updates", documents, fmt)


@csrf_exempt
def dispatch(request: HttpRequest, fmt: str) -> HttpResponse:
    """``/requests``: GET searches, POST creates (one URL, two methods, as the spec has it)."""
    if request.method == "POST":
        return create(request, fmt=fmt)
    return search(request, fmt=fmt)
