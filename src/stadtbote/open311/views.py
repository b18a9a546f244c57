"""Open311 GeoReport v2 at /open311/v2/ (spec: docs/reference/open311-georeport-v2.md).

One installation serves many towns: ``jurisdiction_id`` is the tenant's slug and is required.
Errors use the spec's format and status codes: 400 for bad requests, 403 for a missing or
wrong api_key, 404 for what does not exist.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from stadtbote.open311 import formats
from stadtbote.reports.models import Category
from stadtbote.tenants.models import Municipality

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-26T00:00:00Z"


class Open311Error(Exception):
    def __init__(self, status: int, description: str, code: int | str | None = None):
        super().__init__(description)
        self.status, self.description = status, description
        self.code = code if code is not None else status


def respond(root: str, document: Any, fmt: str, status: int = 200) -> HttpResponse:
    response = HttpResponse(
        formats.render(root, document, fmt), status=status, content_type=formats.CONTENT_TYPES[fmt]
    )
    response["Access-Control-Allow-Origin"] = "*"  # public data, read by other apps
    return response


def failure(error: Open311Error, fmt: str) -> HttpResponse:
    return respond(
        "errors", [{"code": error.code, "description": error.description}], fmt, error.status
    )


def jurisdiction(request: HttpRequest) -> Municipality:
    slug = (request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id") or "").strip()
    if not slug:
        raise Open311Error(400, "jurisdiction_id was not provided")
    tenant = Municipality.objects.filter(slug=slug).first()
    if tenant is None:
        raise Open311Error(404, f"jurisdiction_id {slug!r} was not found")
    return tenant


def _handled(view):
    def wrapper(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, fmt=fmt, **kwargs)
        except Open311Error as exc:
            return failure(exc, fmt)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@_handled
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = f"{settings.PUBLIC_URL}/open311/v2"
    document = {
        "changeset": CHANGESET,
        "contact": "Your municipality's citizens' office; jurisdiction_id is the town's slug.",
        "key_service": f"{settings.PUBLIC_URL}/admin/",
        "endpoints": [
            {
                "specification": SPEC_URL,
                "url": base,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return respond("discovery", document, fmt)


def _text(value: dict[str, str], tenant: Municipality) -> str:
    return value.get(tenant.default_language) or next(iter(value.values()), "") if value else ""


def _service(c: Category, tenant: Municipality) -> dict[str, Any]:
    return {
        "service_code": c.slug,
        "service_name": _text(c.name, tenant),
        "description": _text(c.description, tenant),
        "metadata": bool(c.questions),
        "type": "realtime",
        "keywords": c.keywords,
        "group": _text(c.group, tenant),
    }


@_handled
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    tenant = jurisdiction(request)
    # Inquiries (questions to staff) are not an Open311 service: they have no place.
    reportable = Category.objects.filter(tenant=tenant, active=True, kind="report")
    items = [_service(c, tenant) for c in reportable]
    return respond("services", items, fmt)


@_handled
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    tenant = jurisdiction(request)
    category = Category.objects.filter(tenant=tenant, slug=code, active=True, kind="report").first()
    if category is None:
        raise Open311Error(404, f"service_code {code!r} was not found")
    attributes = []
    for i, q in enumerate(sorted(category.questions, key=lambda q: q.get("order", 0)), start=1):
        attribute: dict[str, Any] = {
            "variable": q.get("variable", True),
            "code": q["code"],
            "datatype": q.get("datatype", "string"),
            "required": bool(q.get("required")),
            "datatype_description": q.get("datatype_description"),
            "order": q.get("order", i),
            "description": q.get("description", ""),
        }
        if q.get("datatype") in ("singlevaluelist", "multivaluelist"):
            attribute["values"] = [
                {"key": v["key"], "name": v["name"]} for v in q.get("values", [])
            ]
        attributes.append(attribute)
    return respond(
        "service_definition", {"service_code": category.slug, "attributes": attributes}, fmt
    )
