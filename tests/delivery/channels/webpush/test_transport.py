"""The channel against a real local push service (tests/support/push_service.py)."""

from __future__ import annotations

import dataclasses
import socket
import time

import pytest

from stadtbote.delivery.channels.base import Channel, Outgoing
from stadtbote.delivery.channels.webpush import WebPushChannel, transport
from stadtbote.delivery.channels.webpush.headers import topic
from stadtbote.delivery.channels.webpush.keys import load_private_key, public_key_b64url
from tests.support.push_service import PushService

from .conftest import MakeChannel, fixed_vapid_pem, make_notice, outgoing_for


def test_the_channel_implements_the_channel_protocol(channel: WebPushChannel) -> None:
    implementation: Channel = channel
    assert implementation.kind == "webpush"


def test_an_accepted_message_is_sent_and_the_push_service_decrypts_the_notice(
    push_service: PushService, channel: WebPushChannel
) -> None:
    [outcome] = channel.send([outgoing_for(push_service, 3, delivery_id=101)])

    assert (outcome.delivery_id, outcome.status, outcome.reason) == (101, "sent", "")
    assert push_service.wait_for(1)
    [received] = push_service.received_for(3)
    assert received.payload is not None
    assert received.payload["title"] == "Hochwasserwarnung Rheinufer"
    assert received.payload["id"] == "msg-0042"
    assert received.payload["lang"] == "de"
    assert received.urgency == "high"
    assert received.topic == topic("msg-0042:webpush:3")
    assert 0 < received.ttl <= 28 * 86400


def test_a_batch_reaches_every_subscriber_with_their_own_encryption(
    push_service: PushService, channel: WebPushChannel
) -> None:
    outcomes = channel.send([outgoing_for(push_service, n) for n in range(40)])

    assert sorted(o.delivery_id for o in outcomes) == list(range(40))
    assert {o.status for o in outcomes} == {"sent"}
    assert push_service.wait_for(40)
    assert sorted(r.endpoint for r in push_service.received) == sorted(str(n) for n in range(40))


def test_a_registered_subscription_receives_messages_too(
    push_service: PushService, channel: WebPushChannel
) -> None:
    endpoint, p256dh, auth = push_service.register("alice")
    item = Outgoing(1, endpoint, make_notice(title="Hallo"), {"p256dh": p256dh, "auth": auth}, "k")

    assert channel.send([item])[0].status == "sent"
    assert push_service.wait_for(1)
    assert push_service.received_for("alice")[0].payload["title"] == "Hallo"  # type: ignore[index]


@pytest.mark.parametrize("status", [410, 404])
def test_a_410_or_404_response_marks_the_subscription_gone(
    push_service: PushService, channel: WebPushChannel, status: int
) -> None:
    push_service.respond(5, status, times=None)

    [outcome] = channel.send([outgoing_for(push_service, 5)])

    assert outcome.status == "gone"
    assert f"HTTP {status}" in outcome.reason
    assert push_service.received == []


def test_a_429_with_retry_after_asks_for_a_retry_after_that_many_seconds(
    push_service: PushService, channel: WebPushChannel
) -> None:
    push_service.respond(6, 429, times=2, retry_after=1)

    first = channel.send([outgoing_for(push_service, 6)])[0]
    second = channel.send([outgoing_for(push_service, 6)])[0]
    third = channel.send([outgoing_for(push_service, 6)])[0]

    assert (first.status, first.retry_after) == ("retry", 1.0)
    assert (second.status, second.retry_after) == ("retry", 1.0)
    assert "HTTP 429" in first.reason
    assert third.status == "sent"


def test_a_500_response_asks_for_a_retry(
    push_service: PushService, channel: WebPushChannel
) -> None:
    push_service.respond(7, 500, body="internal hiccup")

    [outcome] = channel.send([outgoing_for(push_service, 7)])

    assert outcome.status == "retry"
    assert outcome.reason == "HTTP 500: internal hiccup"
    assert outcome.retry_after is None


def test_a_400_response_fails_with_the_status_and_the_services_explanation(
    push_service: PushService, channel: WebPushChannel
) -> None:
    push_service.respond(8, 400, body="InvalidTokenFormat")

    [outcome] = channel.send([outgoing_for(push_service, 8)])

    assert (outcome.status, outcome.reason) == ("failed", "HTTP 400: InvalidTokenFormat")


def test_an_endpoint_slower_than_the_timeout_is_retried_and_not_counted_as_delivered(
    push_service: PushService, make_channel: MakeChannel
) -> None:
    channel = make_channel(timeout=0.3)
    push_service.set_delay(0.8, 9)

    started = time.monotonic()
    [outcome] = channel.send([outgoing_for(push_service, 9)])

    assert time.monotonic() - started < 0.7
    assert outcome.status == "retry"
    assert "timeout" in outcome.reason
    assert push_service.settle()  # let the service finish the abandoned request
    assert push_service.received == []
    assert push_service.stats()["dropped"] == 1


def test_concurrency_per_origin_is_bounded(
    push_service: PushService, make_channel: MakeChannel
) -> None:
    channel = make_channel(concurrency_per_origin=4)
    push_service.set_delay(0.1)

    outcomes = channel.send([outgoing_for(push_service, n) for n in range(12)])

    assert {o.status for o in outcomes} == {"sent"}
    assert push_service.stats()["max_in_flight"] == 4


def test_connections_are_reused_across_requests_and_send_calls(
    push_service: PushService, make_channel: MakeChannel
) -> None:
    channel = make_channel(concurrency_per_origin=5)

    for batch in range(3):
        outcomes = channel.send([outgoing_for(push_service, batch * 20 + n) for n in range(20)])
        assert {o.status for o in outcomes} == {"sent"}

    assert push_service.stats()["requests"] == 60
    assert push_service.stats()["connections"] <= 5


def test_an_endpoint_off_the_allowlist_fails_without_any_request(
    push_service: PushService, make_channel: MakeChannel
) -> None:
    channel = make_channel(allowed_extra_hosts=[])
    item = outgoing_for(push_service, 1)
    internal = dataclasses.replace(item, delivery_id=2, address="http://10.0.0.7/admin")

    outcomes = channel.send([item, internal])

    assert [o.status for o in outcomes] == ["failed", "failed"]
    assert all(o.reason.startswith("endpoint not allowed:") for o in outcomes)
    assert push_service.stats()["requests"] == 0


def test_a_subscription_with_missing_or_broken_keys_fails(
    push_service: PushService, channel: WebPushChannel
) -> None:
    item = outgoing_for(push_service, 1)
    missing = dataclasses.replace(item, delivery_id=1, extra={"p256dh": item.extra["p256dh"]})
    broken = dataclasses.replace(item, delivery_id=2, extra={**item.extra, "p256dh": "AAAA"})

    outcomes = channel.send([missing, broken])

    assert [(o.status, o.reason) for o in outcomes] == [
        ("failed", "invalid subscription: missing auth"),
        (
            "failed",
            "invalid subscription: p256dh is not a valid P-256 key: "
            "expected a 65-byte uncompressed P-256 point",
        ),
    ]
    assert push_service.stats()["requests"] == 0


def test_a_notice_too_large_for_one_record_fails(
    push_service: PushService, channel: WebPushChannel
) -> None:
    huge = make_notice(url="https://musterstadt.example/" + "x" * 4000)

    [outcome] = channel.send([outgoing_for(push_service, 1, notice=huge)])

    assert outcome.status == "failed"
    assert outcome.reason.startswith("payload too large")


def test_an_unreachable_push_service_is_retried(make_channel: MakeChannel) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    channel = make_channel(allowed_extra_hosts=[f"127.0.0.1:{port}"], timeout=2.0)
    dead = PushService(seed=1)  # only used for its key derivation; never started
    _, p256dh, auth = dead.subscription(1)
    item = Outgoing(
        1, f"http://127.0.0.1:{port}/1", make_notice(), {"p256dh": p256dh, "auth": auth}
    )

    [outcome] = channel.send([item])

    assert outcome.status == "retry"
    assert outcome.reason.startswith("connection failed")


def test_every_item_gets_exactly_one_outcome_even_when_something_unexpected_raises(
    push_service: PushService, channel: WebPushChannel, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_encrypt = transport.encrypt

    def flaky_encrypt(plaintext: bytes, ua_public: bytes, auth: bytes) -> bytes:
        if ua_public == transport.b64url_decode(push_service.subscription(2)[1]):
            raise RuntimeError("disk on fire")
        return real_encrypt(plaintext, ua_public, auth)

    monkeypatch.setattr(transport, "encrypt", flaky_encrypt)

    outcomes = channel.send([outgoing_for(push_service, n) for n in range(4)])

    assert sorted((o.delivery_id, o.status) for o in outcomes) == [
        (0, "sent"),
        (1, "sent"),
        (2, "retry"),
        (3, "sent"),
    ]
    assert next(o for o in outcomes if o.delivery_id == 2).reason == (
        "unexpected RuntimeError: disk on fire"
    )


def test_the_push_service_rejects_a_channel_whose_vapid_token_has_expired(
    push_service: PushService, make_channel: MakeChannel
) -> None:
    channel = make_channel(clock=lambda: time.time() - 13 * 3600)

    [outcome] = channel.send([outgoing_for(push_service, 1)])

    assert outcome.status == "failed"
    assert outcome.reason == "HTTP 401: VAPID token expired"


def test_an_empty_batch_needs_no_network(channel: WebPushChannel) -> None:
    assert channel.send([]) == []


def test_close_is_idempotent_and_a_closed_channel_refuses_to_send(
    push_service: PushService, channel: WebPushChannel
) -> None:
    channel.send([outgoing_for(push_service, 1)])
    channel.close()
    channel.close()
    with pytest.raises(RuntimeError, match="closed"):
        channel.send([outgoing_for(push_service, 1)])


@pytest.mark.parametrize(
    ("subject", "hosts", "problem"),
    [
        ("ops@example.org", [], "subject"),
        ("mailto:ops@example.org", ["https://push.example"], "push host entry"),
    ],
)
def test_misconfiguration_is_reported_when_the_channel_is_built(
    subject: str, hosts: list[str], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        WebPushChannel(fixed_vapid_pem(), subject, allowed_extra_hosts=hosts)


def test_the_channel_exposes_the_public_key_browsers_subscribe_with(
    channel: WebPushChannel,
) -> None:
    pem_key = load_private_key(fixed_vapid_pem())
    assert channel.vapid_public_key == public_key_b64url(pem_key)
