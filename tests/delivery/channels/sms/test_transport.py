"""The SMS channel with an SMPP and an HTTP provider against their local servers."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from itertools import count
from typing import Any

import pytest

from stadtbote.delivery.channels.base import Channel, Outgoing
from stadtbote.delivery.channels.sms import SmsChannel
from stadtbote.delivery.channels.sms.failover import FailoverPolicy
from stadtbote.delivery.channels.sms.providers.http_gateway import HttpGatewayProvider
from stadtbote.delivery.channels.sms.transport import Accepted, MemoryHealthStore
from tests.delivery.channels.native_push import START, Clock, make_notice
from tests.support.smpp_server import SmppServer
from tests.support.sms_gateway import SmsGateway

from .conftest import MakeSmpp, number

POLICY = FailoverPolicy(min_samples=2, max_error_rate=0.5, cooldown=60, recovery=60)
SHORT = "https://mstadt.example/s/7Kq2"
MakeChannel = Callable[..., SmsChannel]


def outgoing(n: int, address: str | None = None, **extra: str) -> Outgoing:
    return Outgoing(
        delivery_id=n,
        address=address or number(n),
        notice=make_notice(tenant_name="Musterstadt"),
        extra=extra or {"short_url": SHORT},
        key=f"msg-0042:sms:{n}",
    )


@pytest.fixture
def gateway() -> Iterator[SmsGateway]:
    with SmsGateway() as server:
        yield server


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def accepted() -> list[Accepted]:
    return []


@pytest.fixture
def store() -> MemoryHealthStore:
    return MemoryHealthStore()


@pytest.fixture
def make_channel(
    make_smpp: MakeSmpp,
    gateway: SmsGateway,
    clock: Clock,
    accepted: list[Accepted],
    store: MemoryHealthStore,
) -> Iterator[MakeChannel]:
    channels: list[SmsChannel] = []
    ids = count(1)

    def factory(weights: dict[str, float] | None = None, **options: Any) -> SmsChannel:
        http = HttpGatewayProvider(
            gateway.url,
            username="stadtbote",
            password="secret",
            sender="Musterstadt",
            allowed_http_hosts=[f"127.0.0.1:{gateway.port}"],
            id_factory=lambda: f"sb{next(ids):04d}",
            timeout=2.0,
        )
        channel = SmsChannel(
            [make_smpp(reconnect_attempts=0), http],
            weights=weights or {"smpp": 1.0, "http": 0.0},
            store=store,
            policy=options.pop("policy", POLICY),
            on_accepted=accepted.append,
            clock=clock,
            **options,
        )
        channels.append(channel)
        return channel

    yield factory
    for channel in channels:
        channel.close()


def test_the_channel_implements_the_channel_protocol(make_channel: MakeChannel) -> None:
    implementation: Channel = make_channel()
    assert implementation.kind == "sms"


def test_a_notice_reaches_the_number_as_one_sms_with_the_short_link(
    smsc: SmppServer, make_channel: MakeChannel, accepted: list[Accepted]
) -> None:
    [outcome] = make_channel().send([outgoing(1)])

    assert (outcome.delivery_id, outcome.status) == (1, "sent")
    assert smsc.texts_for(number(1)) == [
        "Musterstadt - WARNUNG: Hochwasserwarnung Rheinufer. Der Pegel steigt. Bitte meiden Sie "
        f"die Uferwege bis Freitag. {SHORT}"
    ]
    assert accepted == [Accepted(1, "smpp", ("m000001",), 1)]


def test_a_number_typed_nationally_is_sent_in_e164(
    smsc: SmppServer, make_channel: MakeChannel
) -> None:
    [outcome] = make_channel().send([outgoing(1, address="0151 0000 0001")])
    assert outcome.status == "sent"
    assert smsc.submitted[0].destination == "4915100000001"


def test_an_invalid_number_fails_without_reaching_a_provider(
    smsc: SmppServer, make_channel: MakeChannel
) -> None:
    [outcome] = make_channel().send([outgoing(1, address="12345")])
    assert outcome.status == "failed"
    assert outcome.reason.startswith("invalid number: ")
    assert smsc.submitted == []


def test_a_number_the_smsc_rejects_fails_permanently(
    smsc: SmppServer, make_channel: MakeChannel
) -> None:
    smsc.answer(number(2), 0x0B)

    outcomes = make_channel().send([outgoing(1), outgoing(2)])

    assert [(o.status, o.reason) for o in outcomes] == [
        ("sent", ""),
        ("failed", "smpp: submit_sm_resp: ESME_RINVDSTADR"),
    ]


def test_a_message_the_smsc_cannot_take_now_is_retried_by_the_engine(
    smsc: SmppServer, gateway: SmsGateway, make_channel: MakeChannel
) -> None:
    smsc.answer(number(1), 0x401)

    [outcome] = make_channel(weights={"smpp": 3.0, "http": 1.0}).send([outgoing(1)])

    assert (outcome.status, outcome.reason) == ("retry", "smpp: submit_sm_resp: 0x00000401")
    assert gateway.received == []  # not the provider's fault: no failover


def test_a_provider_wide_failure_falls_over_to_the_other_provider_in_the_same_send(
    smsc: SmppServer, gateway: SmsGateway, make_channel: MakeChannel, accepted: list[Accepted]
) -> None:
    smsc.answer(number(1), 0x08)

    [outcome] = make_channel(weights={"smpp": 3.0, "http": 1.0}).send([outgoing(1)])

    assert outcome.status == "sent"
    assert [r["to"] for r in gateway.received] == [number(1)]
    assert accepted == [Accepted(1, "http", ("sb0001",), 1)]


def test_when_every_provider_fails_the_message_is_retried_with_the_last_retry_after(
    smsc: SmppServer, gateway: SmsGateway, make_channel: MakeChannel
) -> None:
    smsc.answer(number(1), 0x14)
    gateway.answer(number(1), 503, "Sending failed", retry_after="90")

    [outcome] = make_channel(weights={"smpp": 2.0, "http": 1.0}).send([outgoing(1)])

    assert outcome.status == "retry"
    assert outcome.reason == "http: HTTP 503: Sending failed"
    assert outcome.retry_after == 90.0


def test_a_failing_provider_is_switched_away_from_and_back_after_recovery(
    smsc: SmppServer,
    gateway: SmsGateway,
    make_channel: MakeChannel,
    clock: Clock,
    store: MemoryHealthStore,
) -> None:
    channel = make_channel(weights={"smpp": 5.0, "http": 1.0})
    smsc.answer(number(1), 0x08)
    smsc.answer(number(2), 0x08)
    # Both go to smpp first (weights 5:1), fail there and are sent over http instead.
    assert [o.status for o in channel.send([outgoing(1), outgoing(2)])] == ["sent", "sent"]
    assert [r["to"] for r in gateway.received] == [number(1), number(2)]
    assert store.state.providers["smpp"].out_until == START + 60

    clock.advance(30)  # still cooling down: everything goes over http
    channel.send([outgoing(n) for n in range(3, 7)])
    assert [r["to"] for r in gateway.received][2:] == [number(n) for n in range(3, 7)]
    assert len(smsc.submitted) == 2

    clock.advance(90)  # cooldown over and fully recovered: most go over smpp again
    channel.send([outgoing(n) for n in range(7, 13)])
    assert len([s for s in smsc.submitted if s.status == 0]) == 5
    assert len(gateway.received) == 7


def test_receipts_are_collected_per_provider_and_slow_ones_take_it_out(
    smsc: SmppServer, make_channel: MakeChannel, clock: Clock, store: MemoryHealthStore
) -> None:
    channel = make_channel(
        policy=FailoverPolicy(min_receipts=2, max_receipt_delay=120, cooldown=60)
    )
    channel.send([outgoing(1), outgoing(2)])
    clock.advance(600)

    receipts = []
    deadline = time.monotonic() + 2.0
    while len(receipts) < 2 and time.monotonic() < deadline:
        receipts += channel.collect_receipts()
        time.sleep(0.02)

    assert sorted((name, r.message_id, r.status) for name, r in receipts) == [
        ("smpp", "m000001", "delivered"),
        ("smpp", "m000002", "delivered"),
    ]
    assert store.state.providers["smpp"].reason == "median receipt delay 600s"


def test_the_health_kept_in_the_store_is_plain_json(
    smsc: SmppServer, make_channel: MakeChannel, store: MemoryHealthStore
) -> None:
    make_channel().send([outgoing(1)])
    assert json.loads(json.dumps(store.state.to_dict()))["providers"]["smpp"]["outcomes"] == [1]


def test_a_provider_with_a_sold_rate_is_fed_one_seconds_share_at_a_time(
    smsc: SmppServer, make_channel: MakeChannel
) -> None:
    turns: list[tuple[str, int, float]] = []

    def wait_for_turn(name: str, count: int, rate: float) -> float:
        turns.append((name, count, rate))
        return 0.0

    channel = make_channel(rates={"smpp": 2.0}, wait_for_turn=wait_for_turn)
    outcomes = channel.send([outgoing(n) for n in range(1, 6)])

    assert [o.status for o in outcomes] == ["sent"] * 5
    assert turns == [("smpp", 2, 2.0), ("smpp", 2, 2.0), ("smpp", 1, 2.0)]
    assert len(smsc.submitted) == 5


def test_the_sold_rate_counts_parts_not_texts(smsc: SmppServer, make_channel: MakeChannel) -> None:
    turns: list[int] = []
    long_text = "Hochwasser am Rhein. " * 10  # 210 GSM-7 characters: two parts

    def wait_for_turn(name: str, count: int, rate: float) -> float:
        turns.append(count)
        return 0.0

    channel = make_channel(rates={"smpp": 3.0}, wait_for_turn=wait_for_turn)
    outcomes = channel.send([outgoing(n, text=long_text) for n in range(1, 4)])

    assert [o.status for o in outcomes] == ["sent"] * 3
    assert turns == [2, 2, 2]


def test_a_provider_another_worker_took_out_during_a_send_stays_out(
    smsc: SmppServer, make_smpp: MakeSmpp, clock: Clock
) -> None:
    from stadtbote.delivery.channels.sms.failover import FailoverState, ProviderHealth

    class OtherWorkerMeanwhile(MemoryHealthStore):
        reads = 0

        def get(self) -> FailoverState:
            self.reads += 1
            if self.reads == 2:  # while this send ran, another worker saw "http" fail
                self.state.providers["http"] = ProviderHealth(
                    out_until=clock.now + 300, reason="error rate 100% over 5"
                )
            return super().get()

    store = OtherWorkerMeanwhile()
    channel = SmsChannel([make_smpp(reconnect_attempts=0)], store=store, policy=POLICY, clock=clock)
    try:
        [outcome] = channel.send([outgoing(1)])
    finally:
        channel.close()

    assert outcome.status == "sent"
    assert store.state.providers["http"].out_until == clock.now + 300
    assert store.state.providers["smpp"].outcomes == [1]
