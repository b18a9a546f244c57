"""Every API error is JSON ``{"detail": "...", "code": "..."}`` with a 4xx status, never a 500
for bad input. Validation errors name the field, e.g. ``places[0].lat``."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from stadtbote.core.errors import DomainError


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [p for p in loc if p not in ("body", "payload", "query", "path")]
    path = ""
    for p in parts:
        if isinstance(p, int):
            path += f"[{p}]"
        else:
            path += f".{p}" if path else str(p)
    return path


def install(api: NinjaAPI) -> None:
    def respond(
        request: HttpRequest, status: int, detail: str, code: str, **extra: Any
    ) -> HttpResponse:
        return api.create_response(
            request, {"detail": detail, "code": code, **extra}, status=status
        )

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return respond(
            request, exc.status, exc.detail, exc.code, **({"field": exc.field} if exc.field else {})
        )

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            {"field": field_path(e.get("loc", ())), "message": e.get("msg", "invalid")}
            for e in exc.errors
        ]
        first = errors[0] if errors else {"field": "", "message": "invalid input"}
        detail = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
        return respond(request, 422, detail, "invalid", field=first["field"], errors=errors)

    @api.exception_handler(AuthenticationError)
    def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = respond(request, 401, "missing or invalid bearer token", "unauthorized")
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, str(exc) or "not found", "not_found")

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return respond(request, exc.status_code, str(exc), "error")
