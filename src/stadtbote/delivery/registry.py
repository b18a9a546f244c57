"""Channel kinds: a plain dict from type name to a factory building a channel for one tenant."""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings

from stadtbote.delivery import push_credentials, sms_config
from stadtbote.delivery.channels.base import Channel
from stadtbote.tenants.models import Municipality

if TYPE_CHECKING:
    from stadtbote.delivery.channels.sms import SmppProvider


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


# Parts per second one SMPP connection may submit when the provider states no rate.
UNMETERED_SMPP_RATE = 1000.0


def smpp_provider(spec: sms_config.ProviderSpec) -> SmppProvider:
    """An SMPP provider as configured (connects only when it first sends)."""
    from stadtbote.delivery.channels.sms import SmppProvider

    return SmppProvider(
        spec.host,
        spec.port,
        system_id=spec.user,
        password=spec.password,
        system_type=spec.system_type,
        source=spec.sender,
        name=spec.name,
        ssl_context=ssl.create_default_context() if spec.tls else None,
        # The connection's own pace: the sold rate where one is given (it is also kept across
        # workers, throttle.py), else what the window allows; an SMSC that wants less says
        # "throttled", and the client pauses.
        max_per_second=spec.rate or UNMETERED_SMPP_RATE,
    )


def _sms(tenant: Municipality) -> Channel:
    from stadtbote.delivery import sms_receipts
    from stadtbote.delivery.channels.sms import HttpGatewayProvider
    from stadtbote.delivery.channels.sms.providers.base import SmsProvider

    specs = sms_config.providers_for(os.environ, tenant.slug)
    if specs is None:
        raise ChannelUnavailable(f"no SMS providers for {tenant.slug}")
    providers: list[SmsProvider] = []
    for spec in specs:
        if spec.kind == "smpp":
            providers.append(smpp_provider(spec))
        else:
            providers.append(
                HttpGatewayProvider(
                    spec.url,
                    username=spec.user,
                    password=spec.password,
                    sender=spec.sender,
                    name=spec.name,
                    allowed_http_hosts=[f"{spec.host}:{spec.port}"],
                    # The gateway reports to us; the signed id makes a report unforgeable.
                    dlr_url=sms_receipts.dlr_url(tenant),
                    id_factory=sms_receipts.id_factory(tenant),
                )
            )
    # Keeps a row per accepted SMS of a delivery so that receipts find it (sms_receipts.py).
    return sms_receipts.EngineSmsChannel(
        providers,
        tenant_id=tenant.pk,
        weights={spec.name: spec.weight for spec in specs},
        # Health is shared by every worker sending for the town: a provider one worker saw
        # failing is avoided by all.
        store=sms_receipts.health_store(tenant.pk, specs),
        policy=sms_receipts.POLICY,
        # The throughput a provider sells is shared by every worker of every town using it.
        rates={spec.name: spec.rate for spec in specs if spec.rate},
        wait_for_turn=_sms_turns(
            {spec.name: f"{spec.host}:{spec.port}:{spec.user}" for spec in specs}
        ),
    )


def _sms_turns(accounts: dict[str, str]) -> Callable[[str, int, float], float]:
    """Turns counted per provider account (host, port, user), not per name: two towns naming
    their providers alike share nothing, two towns on the county's account share its rate."""
    from stadtbote.delivery.throttle import wait_for_turn

    def turn(name: str, count: int, rate: float) -> float:
        return wait_for_turn(f"sms:{accounts[name]}", count, rate)

    return turn


def _email(tenant: Municipality) -> Channel:
    from stadtbote.delivery.channels.email import EmailChannel

    return EmailChannel(tenant_name=tenant.name)


CHANNELS: dict[str, Callable[[Municipality], Channel]] = {
    "webpush": _webpush,
    "fcm": _fcm,
    "apns": _apns,
    "email": _email,
    "sms": _sms,
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
        if kind == "sms":
            return sms_config.variable_for(os.environ, tenant.slug) is not None
    except push_credentials.CredentialsError:
        return True  # configured, but wrongly: the start-up check names the variable
    return kind in CHANNELS
