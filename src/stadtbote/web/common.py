"""What every page of the citizen app needs: the tenant, its look, and the CSP for its map."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from stadtbote.core.middleware import CSP
from stadtbote.delivery.rules import pick_language
from stadtbote.messages.models import Message
from stadtbote.tenants.models import Municipality
from stadtbote.web.presentation import severity_look


def tenant_or_404(slug: str) -> Municipality:
    return get_object_or_404(Municipality, slug=slug)


def page(
    request: HttpRequest,
    template: str,
    tenant: Municipality | None,
    context: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    response = render(request, template, {"tenant": tenant, **(context or {})}, status=status)
    apply_csp(response, tenant)
    return response


def apply_csp(response: HttpResponse, tenant: Municipality | None) -> None:
    origin = tenant.tile_origin if tenant else None
    if origin:
        # The tenant's tile server is the one outside origin a page may load images from.
        response["Content-Security-Policy"] = CSP.replace(
            "img-src 'self' data:", f"img-src 'self' data: {origin}"
        )


def message_view(m: Message, lang: str) -> dict[str, Any]:
    chosen = pick_language(m.title, lang, m.tenant.default_language)
    return {
        "message": m,
        "id": str(m.id),
        "title": m.title.get(chosen, ""),
        "body": m.body.get(chosen, "") or m.body.get(m.tenant.default_language, ""),
        "instruction": m.instruction.get(chosen, "")
        or m.instruction.get(m.tenant.default_language, ""),
        "source_name": m.source_name,
        "lang": chosen,
        "look": severity_look(m.severity),
        "withdrawn": m.status == "cancelled",
    }
