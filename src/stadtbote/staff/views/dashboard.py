"""The numbers staff watch: what is open and late per department, and the published promise
figures per category and month."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone

from stadtbote.reports import queue as work
from stadtbote.reports import service
from stadtbote.reports.models import Category
from stadtbote.staff.access import Staff, staff_view
from stadtbote.staff.views.common import staff_page, text


@staff_view("case.stats")
def home(request: HttpRequest, staff: Staff) -> HttpResponse:
    if staff.may("case.read"):
        return HttpResponseRedirect(f"/{staff.tenant.slug}/staff/cases/")
    if staff.may("message.create"):
        return HttpResponseRedirect(f"/{staff.tenant.slug}/staff/messages/")
    return HttpResponseRedirect(f"/{staff.tenant.slug}/staff/numbers")


@staff_view("case.stats")
def numbers(request: HttpRequest, staff: Staff) -> HttpResponse:
    lang, default = request.LANGUAGE_CODE, staff.tenant.default_language
    now = timezone.now()
    raw = work.workload(staff.tenant.pk, now)
    loads = [{"load": load, "name": text(load.department.name, lang, default)} for load in raw]
    names = {
        c.slug: text(c.name, lang, default) for c in Category.objects.filter(tenant=staff.tenant)
    }
    rows = service.statistics(staff.tenant, now=now)
    months = sorted({r.month for r in rows}, reverse=True)
    by_month = [
        (
            m,
            [
                {**r.__dict__, "name": names.get(r.category, r.category)}
                for r in rows
                if r.month == m
            ],
        )
        for m in months
    ]
    totals = {
        "open": sum(x.open for x in raw),
        "unanswered": sum(x.unanswered for x in raw),
        "answer_overdue": sum(x.answer_overdue for x in raw),
        "resolve_overdue": sum(x.resolve_overdue for x in raw),
        "due_soon": sum(x.due_soon for x in raw),
    }
    return staff_page(
        request,
        staff,
        "staff/numbers.html",
        {"nav": "numbers", "loads": loads, "totals": totals, "by_month": by_month},
    )
