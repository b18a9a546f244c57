"""Bearer authentication for staff (API keys) and subscribers (their token)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from stadtbote.core import tokens
from stadtbote.core.errors import Forbidden, NotFound, Unauthorized
from stadtbote.core.roles import allows
from stadtbote.subscribers.models import Subscriber
from stadtbote.tenants.keys import authenticate
from stadtbote.tenants.models import ApiKey, Municipality


class StaffKey(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        return authenticate(token)


class SubscriberToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Subscriber | None:
        return (
            Subscriber.objects.select_related("tenant")
            .filter(token_hash=tokens.digest(token))
            .first()
        )


def bearer_subscriber(request: HttpRequest, tenant_id: int) -> Subscriber | None:
    """The subscriber whose token the request carries, if it carries one; a token that is not
    a subscriber of this town is refused (401), never silently ignored."""
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    subscriber = SubscriberToken().authenticate(request, header.removeprefix("Bearer ").strip())
    if subscriber is None or subscriber.tenant_id != tenant_id:
        raise Unauthorized("not a subscriber of this town", field="token")
    return subscriber


def staff_for(request: HttpRequest, tenant: str, action: str) -> tuple[ApiKey, Municipality]:
    """The caller's key, if it belongs to this tenant and its role allows ``action``.

    A key of another tenant gets 404, not 403: it must not learn which tenants exist.
    """
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    if key.tenant.slug != tenant:
        raise NotFound(f"no municipality {tenant!r}")
    if not allows(key.role, action):
        raise Forbidden(f"the role {key.role!r} may not do this ({action})", code="forbidden")
    return key, key.tenant


def subscriber_for(request: HttpRequest, tenant: str, subscriber_id: str) -> Subscriber:
    sub: Subscriber = request.auth  # type: ignore[attr-defined]
    if sub.tenant.slug != tenant or str(sub.public_id) != subscriber_id:
        # Someone else's id with a valid token: do not reveal whether it exists.
        raise NotFound("no such subscriber")
    return sub
