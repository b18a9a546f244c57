from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from stadtbote.delivery.channels.base import Notice, Outgoing
from stadtbote.delivery.channels.fcm import FcmChannel, clear_token_cache
from tests.delivery.channels.native_push import (  # noqa: F401 (the tests import them from here)
    EXPIRES,
    START,
    Clock,
    make_notice,
)
from tests.support.fcm_keys import service_account
from tests.support.fcm_server import FcmServer

SEED = 20261127
PROJECT = "stadtbote-test"

MakeChannel = Callable[..., FcmChannel]


def token(n: int) -> str:
    """A registration token shaped like FCM's (instance id, colon, opaque part)."""
    return f"dev{n:04d}:APA91b-test-registration-token-{n:04d}"


def outgoing(n: int, *, notice: Notice | None = None, delivery_id: int | None = None) -> Outgoing:
    return Outgoing(
        delivery_id=n if delivery_id is None else delivery_id,
        address=token(n),
        notice=notice or make_notice(),
        key=f"msg-0042:fcm:{n}",
    )


@pytest.fixture(scope="session")
def account() -> dict[str, str]:
    return service_account(SEED, PROJECT)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fcm_server(account: dict[str, str], clock: Clock) -> Iterator[FcmServer]:
    # Ports get reused between tests; a token cached for an earlier server must not leak in.
    clear_token_cache()
    with FcmServer(PROJECT, clock=clock) as server:
        server.add_account(account)
        yield server
    clear_token_cache()


@pytest.fixture
def make_channel(
    fcm_server: FcmServer, account: dict[str, str], clock: Clock
) -> Iterator[MakeChannel]:
    channels: list[FcmChannel] = []

    def factory(**options: Any) -> FcmChannel:
        options.setdefault("endpoint", fcm_server.url)
        options.setdefault("token_url", fcm_server.token_url)
        options.setdefault("clock", clock)
        channel = FcmChannel(PROJECT, options.pop("service_account", account), **options)
        channels.append(channel)
        return channel

    yield factory
    for channel in channels:
        channel.close()


@pytest.fixture
def channel(make_channel: MakeChannel) -> FcmChannel:
    return make_channel()
