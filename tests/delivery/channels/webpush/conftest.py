from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from stadtbote.delivery.channels.base import Notice, Outgoing
from stadtbote.delivery.channels.webpush import WebPushChannel
from stadtbote.delivery.channels.webpush.keys import synthetic_subscription
from tests.support.push_service import PushService

SEED = 20240611
SUBJECT = "mailto:ops@stadtbote.example"

MakeChannel = Callable[..., WebPushChannel]


def fixed_vapid_pem() -> str:
    """A fixed VAPID key so failures reproduce; derived like a synthetic subscriber key."""
    key = synthetic_subscription(SEED, -1).private_key
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def make_notice(**changes: object) -> Notice:
    notice = Notice(
        message_id="msg-0042",
        kind="message",
        title="Hochwasserwarnung Rheinufer",
        body="Der Pegel steigt. Bitte meiden Sie die Uferwege bis Freitag.",
        severity="severe",
        url="https://musterstadt.example/m/msg-0042",
        language="de",
        tenant="musterstadt",
        tenant_name="Stadt Musterstadt",
        expires_at="2030-01-02T12:00:00+00:00",
        sent_at="2030-01-01T12:00:00+00:00",
    )
    return dataclasses.replace(notice, **changes)  # type: ignore[arg-type]


def outgoing_for(
    service: PushService, n: int, *, delivery_id: int | None = None, notice: Notice | None = None
) -> Outgoing:
    endpoint, p256dh, auth = service.subscription(n)
    return Outgoing(
        delivery_id=n if delivery_id is None else delivery_id,
        address=endpoint,
        notice=notice or make_notice(),
        extra={"p256dh": p256dh, "auth": auth},
        key=f"msg-0042:webpush:{n}",
    )


@pytest.fixture
def push_service() -> Iterator[PushService]:
    with PushService(seed=SEED) as service:
        yield service


@pytest.fixture
def make_channel(push_service: PushService) -> Iterator[MakeChannel]:
    channels: list[WebPushChannel] = []

    def factory(**options: Any) -> WebPushChannel:
        options.setdefault("allowed_extra_hosts", [push_service.host_port])
        channel = WebPushChannel(fixed_vapid_pem(), SUBJECT, **options)
        channels.append(channel)
        return channel

    yield factory
    # Close before the service stops so it is not left waiting on idle keep-alive connections.
    for channel in channels:
        channel.close()


@pytest.fixture
def channel(make_channel: MakeChannel) -> WebPushChannel:
    return make_channel()
