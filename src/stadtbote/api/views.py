"""Shared helpers for API views: tenant lookup, client IP, conditional GET."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.http import quote_etag

from stadtbote.core.errors import NotFound
from stadtbote.tenants.models import Municipality


def tenant_or_404(slug: str) -> Municipality:
    tenant = Municipality.objects.filter(slug=slug).first()
    if tenant is None:
        raise NotFound(f"no municipality {slug!r}")
    return tenant


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def cached_json(request: HttpRequest, data: Any, *, max_age: int, fingerprint: str) -> HttpResponse:
    """JSON with a strong ETag; 304 when the client has it already.

    Many citizens open the same warning within seconds of a push: clients and any cache in
    front revalidate cheaply, and ``stale-while-revalidate`` lets a cache answer at once.
    """
    etag = quote_etag(hashlib.sha256(fingerprint.encode()).hexdigest()[:32])
    cache_control = f"public, max-age={max_age}, stale-while-revalidate={max_age * 4}"
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(
            json.dumps(data, ensure_ascii=False), content_type="application/json"
        )
    response["ETag"] = etag
    response["Cache-Control"] = cache_control
    response["Vary"] = "Accept-Encoding"
    return response
