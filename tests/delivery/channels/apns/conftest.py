from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from stadtbote.delivery.channels.apns import ApnsChannel, clear_token_cache
from stadtbote.delivery.channels.base import Notice, Outgoing
from tests.delivery.channels.native_push import (  # noqa: F401 (the tests import them from here)
    EXPIRES,
    START,
    Clock,
    make_notice,
)
from tests.support.apns_server import ApnsServer

TEAM_ID = "TEAM123456"
KEY_ID = "KEY9876543"
TOPIC = "de.stadtbote.app"

MakeChannel = Callable[..., ApnsChannel]


def fixed_key() -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(0x5AD7B07E_2026_1127, ec.SECP256R1())


def p8_pem() -> str:
    """The test key as Apple ships it: an ``AuthKey_<key id>.p8`` PKCS#8 PEM."""
    return (
        fixed_key()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode("ascii")
    )


def device(n: int) -> str:
    return f"{n:064x}"


def outgoing(n: int, *, delivery_id: int | None = None, notice: Notice | None = None) -> Outgoing:
    return Outgoing(
        delivery_id=n if delivery_id is None else delivery_id,
        address=device(n),
        notice=notice or make_notice(),
        key=f"msg-0042:apns:{n}",
    )


@pytest.fixture(autouse=True)
def _fresh_token_cache() -> Iterator[None]:
    clear_token_cache()
    yield
    clear_token_cache()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def apns_server(clock: Clock) -> Iterator[ApnsServer]:
    with ApnsServer(
        fixed_key().public_key(), team_id=TEAM_ID, key_id=KEY_ID, topic=TOPIC, clock=clock
    ) as server:
        yield server


@pytest.fixture
def make_channel(apns_server: ApnsServer, clock: Clock) -> Iterator[MakeChannel]:
    channels: list[ApnsChannel] = []

    def factory(*, topic: str = TOPIC, key_pem: str | None = None, **options: Any) -> ApnsChannel:
        options.setdefault("endpoint", apns_server.url)
        options.setdefault("verify", apns_server.client_ssl_context())
        options.setdefault("clock", clock)
        channel = ApnsChannel(TEAM_ID, KEY_ID, key_pem or p8_pem(), topic, **options)
        channels.append(channel)
        return channel

    yield factory
    for channel in channels:
        channel.close()


@pytest.fixture
def channel(make_channel: MakeChannel) -> ApnsChannel:
    return make_channel()
