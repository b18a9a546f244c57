"""Public pages about problem reports: the numbers the town publishes about its promise."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from stadtbote.reports import service
from stadtbote.reports.models import Category
from stadtbote.web.common import page, tenant_or_404


def numbers(request: HttpRequest, tenant: str) -> HttpResponse:
    t = tenant_or_404(tenant)
    lang = request.LANGUAGE_CODE
    names = {
        c.slug: c.name.get(lang) or c.name.get(t.default_language) or c.slug
        for c in Category.objects.filter(tenant=t)
    }
    rows = [
        {**row.__dict__, "name": names.get(row.category, row.category)}
        for row in service.statistics(t)
    ]
    months = sorted({r["month"] for r in rows}, reverse=True)
    by_month = [(m, [r for r in rows if r["month"] == m]) for m in months]
    response = page(request, "web/numbers.html", t, {"by_month": by_month})
    response["Cache-Control"] = "public, max-age=300"
    return response
