"""Channel kinds: a plain dict from type name to a factory building a channel for one tenant."""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable

from django.conf import settings

from stadtbote.delivery import push_credentials
from stadtbote.delivery.channels.base import Channel
from stadtbote.tenants.models import Municipality


class ChannelUnavailable(Exception):
    """The town has no credentials for this kind (any more): nothing can be sent there."""


def _webpush(tenant: Municipality) -> Channel:
    from stadtbote.delivery.channels.webpush import WebPushChannel

    return WebPushChannel(
        tenant.vapid_private_key,
        tenant.vapid_subject,
        allowed_extra_hosts=settings.STADTBOTE_WEBPUSH_ALLOWED_HOSTS,
    )


def _fcm(tenant: Municipality) -> Channel:
    from stadtbote.delivery.channels.fcm import FcmChannel

    creds = push_credentials.fcm_for(os.environ, tenant.slug)
    if creds is None:
        raise ChannelUnavailable(f"no FCM credentials for {tenant.slug}")
    return FcmChannel(
        creds.project_id,
        creds.service_account,
        endpoint=creds.endpoint,
        token_url=creds.token_url,
    )


def _apns(tenant: Municipality) -> Channel:
    from stadtbote.delivery.channels.apns import ApnsChannel

    creds = push_credentials.apns_for(os.environ, tenant.slug)
    if creds is None:
        raise ChannelUnavailable(f"no APNs credentials for {tenant.slug}")
    verify: ssl.SSLContext | bool = True
    if creds.ca_file:
        verify = ssl.create_default_context(cafile=creds.ca_file)
    return ApnsChannel(
        creds.team_id,
        creds.key_id,
        creds.private_key_pem,
        creds.topic,
        endpoint=creds.endpoint,
        critical_alerts=creds.critical_alerts,
        verify=verify,
    )


def _email(tenant: Municipality) -> Channel:
    from stadtbote.delivery.channels.email import EmailChannel

    return EmailChannel(tenant_name=tenant.name)


CHANNELS: dict[str, Callable[[Municipality], Channel]] = {
    "webpush": _webpush,
    "fcm": _fcm,
    "apns": _apns,
    "email": _email,
}


def open_channel(kind: str, tenant: Municipality) -> Channel:
    return CHANNELS[kind](tenant)


def available(kind: str, tenant: Municipality) -> bool:
    """Whether the town can send on ``kind`` at all (native push needs its credentials)."""
    try:
        if kind == "fcm":
            return push_credentials.fcm_for(os.environ, tenant.slug) is not None
        if kind == "apns":
            return push_credentials.apns_for(os.environ, tenant.slug) is not None
    except push_credentials.CredentialsError:
        return True  # configured, but wrongly: the start-up check names the variable
    return kind in CHANNELS
