"""The citizen's link to their subscription in this browser: the bearer token in a cookie.

HttpOnly, so page scripts (and anything injected into them) never see it; scoped to the
tenant's path, so one browser can follow several towns; SameSite=Lax against cross-site posts.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from stadtbote.core import tokens
from stadtbote.subscribers.models import Subscriber
from stadtbote.tenants.models import Municipality

COOKIE = "stadtbote_subscriber"
MAX_AGE = 400 * 24 * 3600  # the longest lifetime browsers accept


def current_subscriber(request: HttpRequest, tenant: Municipality) -> Subscriber | None:
    token = request.COOKIES.get(COOKIE)
    if not token or len(token) > 200:
        return None
    return (
        Subscriber.objects.select_related("tenant")
        .filter(tenant=tenant, token_hash=tokens.digest(token))
        .first()
    )


def remember(response: HttpResponse, tenant: Municipality, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=MAX_AGE,
        path=f"/{tenant.slug}/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def forget(response: HttpResponse, tenant: Municipality) -> None:
    response.delete_cookie(COOKIE, path=f"/{tenant.slug}/", samesite="Lax")
