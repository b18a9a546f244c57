"""The JSON API at /api/v1/ (OpenAPI at /api/v1/openapi.json)."""

from __future__ import annotations

from ninja import NinjaAPI

from stadtbote.api import (
    assistant,
    cap,
    errors,
    messages,
    public,
    receipts,
    reports,
    sms,
    subscribers,
)

api = NinjaAPI(
    title="Stadtbote API",
    version="1",
    description="Municipal messaging: subscribe citizens, publish geo-targeted messages.",
    urls_namespace="api",
)
errors.install(api)
# One router per resource: a path must live in one router, or its other methods get a 405.
api.add_router("", messages.router)
api.add_router("", subscribers.router)
api.add_router("", public.router)
api.add_router("", reports.router)
api.add_router("", cap.router)
api.add_router("", assistant.router)
api.add_router("", receipts.router)
api.add_router("", sms.router)
