from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from stadtbote.delivery.channels.sms.providers.base import SmsOut
from stadtbote.delivery.channels.sms.providers.smpp import SmppProvider
from tests.support.smpp_server import SmppServer

MakeSmpp = Callable[..., SmppProvider]


def number(n: int) -> str:
    return f"+49151{n:08d}"


def out(n: int, text: str = "Musterstadt - WARNUNG: Hochwasser. https://m.example/s/1") -> SmsOut:
    return SmsOut(reference=f"msg-0042:sms:{n}", to=number(n), text=text)


@pytest.fixture
def smsc() -> Iterator[SmppServer]:
    with SmppServer(system_id="stadtbote", password="secret") as server:
        yield server


@pytest.fixture
def make_smpp(smsc: SmppServer) -> Iterator[MakeSmpp]:
    providers: list[SmppProvider] = []

    def factory(**options: Any) -> SmppProvider:
        options.setdefault("system_id", "stadtbote")
        options.setdefault("password", "secret")
        options.setdefault("timeout", 2.0)
        options.setdefault("backoff", 0.01)
        provider = SmppProvider("127.0.0.1", options.pop("port", smsc.port), **options)
        providers.append(provider)
        return provider

    yield factory
    for provider in providers:
        provider.close()
