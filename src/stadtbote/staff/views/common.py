"""What every staff page needs: the town, the signed-in person, the navigation, the CSP."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from stadtbote.staff.access import Staff
from stadtbote.web.common import apply_csp


def staff_page(
    request: HttpRequest,
    staff: Staff,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    base = {
        "tenant": staff.tenant,
        "staff": staff,
        "base": f"/{staff.tenant.slug}/staff/",
        "may_handle": staff.may("case.handle"),
        "may_moderate": staff.may("case.moderate"),
        "may_read_cases": staff.may("case.read"),
        "may_read_audit": staff.may("audit.read"),
        "may_manage": staff.may("staff.manage"),
        "may_read_messages": staff.may("message.read_all"),
        "may_compose": staff.may("message.create"),
        "may_read_knowledge": staff.may("kb.read"),
        "may_read_warnings": staff.may("warning.read"),
    }
    response = render(request, template, {**base, **(context or {})}, status=status)
    apply_csp(response, staff.tenant)
    return response


def refused(request: HttpRequest, staff: Staff, action: str) -> HttpResponse:
    return staff_page(request, staff, "staff/refused.html", {"action": action}, status=403)


def text(value: dict[str, str], lang: str, default: str) -> str:
    """A per-language field in the reader's language, else the town's, else any."""
    return value.get(lang) or value.get(default) or next(iter(value.values()), "")
