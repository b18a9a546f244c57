"""The audit log for the town's admins: every staff action, filtered, and as CSV."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.dateparse import parse_date

from stadtbote.audit import log
from stadtbote.audit.models import AuditEntry
from stadtbote.staff.access import Staff, staff_view
from stadtbote.staff.views.common import staff_page

PAGE_SIZE = 100
CSV_LIMIT = 100_000


def _entries(request: HttpRequest, staff: Staff) -> tuple[QuerySet[AuditEntry], dict[str, str]]:
    q = request.GET
    filters = {
        "actor": q.get("actor", "").strip()[:150],
        "action": q.get("action", "").strip()[:60],
        "from": q.get("from", "")[:10],
        "to": q.get("to", "")[:10],
    }
    entries = AuditEntry.objects.filter(tenant=staff.tenant)
    if filters["actor"]:
        entries = entries.filter(actor_name__icontains=filters["actor"])
    if filters["action"]:
        entries = entries.filter(action=filters["action"])
    tz = ZoneInfo(staff.tenant.timezone)
    try:
        start, end = parse_date(filters["from"]), parse_date(filters["to"])
    except ValueError:  # well-formed but impossible, e.g. 2024-02-30
        start = end = None
    if start:
        entries = entries.filter(at__gte=datetime.combine(start, time.min, tzinfo=tz))
    if end:
        entries = entries.filter(at__lte=datetime.combine(end, time.max, tzinfo=tz))
    return entries.order_by("-at", "-id"), filters


@staff_view("audit.read")
def audit_log(request: HttpRequest, staff: Staff) -> HttpResponse:
    entries, filters = _entries(request, staff)
    raw = request.GET.get("page", "1")
    page = Paginator(entries, PAGE_SIZE).get_page(
        int(raw) if raw.isascii() and raw.isdigit() else 1
    )
    query = request.GET.copy()
    query.pop("page", None)
    actions = (
        AuditEntry.objects.filter(tenant=staff.tenant)
        .order_by("action")
        .values_list("action", flat=True)
        .distinct()
    )
    return staff_page(
        request,
        staff,
        "staff/audit.html",
        {
            "nav": "audit",
            "page": page,
            "filters": filters,
            "actions": list(actions),
            "query": query.urlencode(),
        },
    )


@staff_view("audit.read")
def audit_csv(request: HttpRequest, staff: Staff) -> HttpResponse:
    entries, _ = _entries(request, staff)
    response = HttpResponse(log.to_csv(entries[:CSV_LIMIT].iterator()), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{staff.tenant.slug}-audit.csv"'
    return response
