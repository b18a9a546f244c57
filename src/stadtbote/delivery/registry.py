"""Channel kinds: a plain dict from type name to a factory building a channel for one tenant."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

from stadtbote.delivery.channels.base import Channel
from stadtbote.tenants.models import Municipality


def _webpush(tenant: Municipality) -> Channel:
    from stadtbote.delivery.channels.webpush import WebPushChannel

    return WebPushChannel(
        tenant.vapid_private_key,
        tenant.vapid_subject,
        allowed_extra_hosts=settings.STADTBOTE_WEBPUSH_ALLOWED_HOSTS,
    )


def _email(tenant: Municipality) -> Channel:
    from stadtbote.delivery.channels.email import EmailChannel

    return EmailChannel(tenant_name=tenant.name)


CHANNELS: dict[str, Callable[[Municipality], Channel]] = {
    "webpush": _webpush,
    "email": _email,
}


def open_channel(kind: str, tenant: Municipality) -> Channel:
    return CHANNELS[kind](tenant)
