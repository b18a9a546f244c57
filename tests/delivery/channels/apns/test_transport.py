"""The channel against a real local APNs provider API (tests/support/apns_server.py)."""

from __future__ import annotations

import socket
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from stadtbote.delivery.channels.apns import ApnsChannel
from stadtbote.delivery.channels.base import Channel, Outgoing
from tests.support.apns_server import ApnsServer

from .conftest import EXPIRES, Clock, MakeChannel, device, make_notice, outgoing


def test_the_channel_implements_the_channel_protocol(channel: ApnsChannel) -> None:
    implementation: Channel = channel
    assert implementation.kind == "apns"


def test_an_alert_reaches_a_device_over_http2_with_a_verified_provider_token(
    apns_server: ApnsServer, channel: ApnsChannel
) -> None:
    [outcome] = channel.send([outgoing(3, delivery_id=101)])

    assert (outcome.delivery_id, outcome.status, outcome.reason) == (101, "sent", "")
    [received] = apns_server.received_for(device(3))
    assert received.headers[":scheme"] == "https"
    assert received.headers["apns-topic"] == "de.stadtbote.app"
    assert received.headers["apns-push-type"] == "alert"
    assert received.headers["apns-expiration"] == str(EXPIRES)
    assert received.payload["aps"]["alert"] == {
        "title": "Hochwasserwarnung Rheinufer",
        "body": "Der Pegel steigt. Bitte meiden Sie die Uferwege bis Freitag.",
    }
    assert received.payload["aps"]["thread-id"] == "musterstadt"
    assert received.payload["aps"]["sound"] == "default"
    assert received.payload["url"] == "https://musterstadt.example/m/msg-0042"
    assert received.payload["message_id"] == "msg-0042"
    assert (received.payload["kind"], received.payload["severity"]) == ("message", "severe")


@pytest.mark.parametrize(
    ("severity", "priority", "level"),
    [
        ("extreme", "10", "time-sensitive"),
        ("severe", "10", "time-sensitive"),
        ("moderate", "10", "active"),
        ("minor", "10", "active"),
        ("info", "5", "active"),
    ],
)
def test_an_alert_has_the_priority_and_interruption_level_of_its_severity(
    apns_server: ApnsServer, channel: ApnsChannel, severity: str, priority: str, level: str
) -> None:
    channel.send([outgoing(1, notice=make_notice(severity=severity))])

    [received] = apns_server.received
    assert received.headers["apns-priority"] == priority
    assert received.payload["aps"]["interruption-level"] == level


def test_an_extreme_alert_is_critical_only_for_an_app_with_the_entitlement(
    apns_server: ApnsServer, make_channel: MakeChannel
) -> None:
    make_channel(critical_alerts=True).send([outgoing(1, notice=make_notice(severity="extreme"))])
    make_channel(critical_alerts=True).send([outgoing(2, notice=make_notice(severity="severe"))])

    [extreme] = apns_server.received_for(device(1))
    assert extreme.payload["aps"]["interruption-level"] == "critical"
    assert extreme.payload["aps"]["sound"] == {"critical": 1, "name": "default", "volume": 1.0}
    [severe] = apns_server.received_for(device(2))
    assert severe.payload["aps"]["interruption-level"] == "time-sensitive"


def test_the_collapse_id_is_the_message_or_the_one_an_update_replaces(
    apns_server: ApnsServer, channel: ApnsChannel
) -> None:
    update = make_notice(
        message_id="msg-0043", kind="update", replaces="msg-0042", previous_severity="severe"
    )
    channel.send([outgoing(1), outgoing(2, notice=update)])

    [first] = apns_server.received_for(device(1))
    [second] = apns_server.received_for(device(2))
    assert first.headers["apns-collapse-id"] == "msg-0042"
    assert second.headers["apns-collapse-id"] == "msg-0042"
    # The danger did not grow: the notification is replaced without alerting again.
    assert second.payload["aps"]["interruption-level"] == "passive"
    assert "sound" not in second.payload["aps"]


def test_each_delivery_carries_a_stable_apns_id(
    apns_server: ApnsServer, channel: ApnsChannel
) -> None:
    channel.send([outgoing(1)])
    channel.send([outgoing(1)])

    first, second = apns_server.received_for(device(1))
    assert first.headers["apns-id"] == second.headers["apns-id"]


def test_the_provider_token_is_reused_across_sends_within_its_window(
    apns_server: ApnsServer, channel: ApnsChannel, clock: Clock
) -> None:
    channel.send([outgoing(n) for n in range(10)])
    clock.advance(29 * 60)  # the test clock starts 20 minutes into a fifty-minute window
    channel.send([outgoing(n) for n in range(10, 20)])

    assert {o.status for o in channel.send([outgoing(20)])} == {"sent"}
    assert len({r.token for r in apns_server.received}) == 1
    assert channel.tokens_signed == 1


def test_the_provider_token_is_renewed_after_fifty_minutes_and_apple_accepts_it(
    apns_server: ApnsServer, channel: ApnsChannel, clock: Clock
) -> None:
    channel.send([outgoing(1)])
    clock.advance(50 * 60)
    [outcome] = channel.send([outgoing(2)])

    assert outcome.status == "sent"
    assert channel.tokens_signed == 2
    assert len(apns_server.tokens_seen) == 2


def test_the_provider_token_is_refreshed_once_after_expired_provider_token(
    apns_server: ApnsServer, channel: ApnsChannel, clock: Clock
) -> None:
    channel.send([outgoing(0)])
    apns_server.expire_current_token()
    clock.advance(60)

    outcomes = channel.send([outgoing(n) for n in range(1, 30)])

    assert {o.status for o in outcomes} == {"sent"}
    # Twenty-nine streams were refused at once; only one new token was signed.
    assert channel.tokens_signed == 2
    assert len(apns_server.tokens_seen) == 2
    assert sum(1 for _, status, _ in apns_server.rejected if status == 403) == 29


def test_a_device_answered_expired_provider_token_once_gets_the_alert_with_a_new_token(
    apns_server: ApnsServer, channel: ApnsChannel
) -> None:
    apns_server.script(device(5), 403, "ExpiredProviderToken", times=1)

    [outcome] = channel.send([outgoing(5)])

    assert outcome.status == "sent"
    assert channel.tokens_signed == 2


def test_a_token_refused_again_after_refreshing_is_retried_later(
    apns_server: ApnsServer, channel: ApnsChannel
) -> None:
    apns_server.script(device(5), 403, "ExpiredProviderToken")

    [outcome] = channel.send([outgoing(5)])

    assert outcome.status == "retry"
    assert "ExpiredProviderToken" in outcome.reason
    assert sum(1 for d, _, _ in apns_server.rejected if d == device(5)) == 2


@pytest.mark.parametrize(
    ("status", "reason"),
    [(410, "Unregistered"), (400, "BadDeviceToken"), (400, "DeviceTokenNotForTopic")],
)
def test_unregistered_and_bad_device_tokens_are_gone(
    apns_server: ApnsServer, channel: ApnsChannel, status: int, reason: str
) -> None:
    apns_server.script(device(7), status, reason)

    [outcome] = channel.send([outgoing(7)])

    assert outcome.status == "gone"
    assert reason in outcome.reason


def test_a_device_token_that_is_not_hex_is_gone_without_asking_apple(
    apns_server: ApnsServer, channel: ApnsChannel
) -> None:
    item = Outgoing(1, "not-a-token", make_notice(), key="k")

    assert channel.send([item])[0].status == "gone"
    assert apns_server.requests == 0


@pytest.mark.parametrize(
    ("status", "reason", "retry_after", "expected_after"),
    [
        (429, "TooManyRequests", "120", 120.0),
        (500, "InternalServerError", None, None),
        (503, "ServiceUnavailable", "30", 30.0),
    ],
)
def test_throttling_and_server_errors_are_retried_as_apple_asks(
    apns_server: ApnsServer,
    channel: ApnsChannel,
    status: int,
    reason: str,
    retry_after: str | None,
    expected_after: float | None,
) -> None:
    apns_server.script(device(9), status, reason, times=1, retry_after=retry_after)

    [outcome] = channel.send([outgoing(9)])
    assert (outcome.status, outcome.retry_after) == ("retry", expected_after)
    assert reason in outcome.reason
    assert channel.send([outgoing(9)])[0].status == "sent"


def test_other_client_errors_fail_for_good(apns_server: ApnsServer, channel: ApnsChannel) -> None:
    apns_server.script(device(4), 400, "BadCertificateEnvironment")

    [outcome] = channel.send([outgoing(4)])

    assert outcome.status == "failed"
    assert "BadCertificateEnvironment" in outcome.reason


def test_a_wrong_topic_is_refused_by_the_server_and_the_address_is_gone(
    make_channel: MakeChannel,
) -> None:
    [outcome] = make_channel(topic="de.other.app").send([outgoing(1)])

    assert (outcome.status, outcome.reason) == ("gone", "HTTP 400: DeviceTokenNotForTopic")


def test_a_token_signed_with_another_key_is_refused_and_fails(make_channel: MakeChannel) -> None:
    other = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode("ascii")
    )

    [outcome] = make_channel(key_pem=other).send([outgoing(1)])

    assert (outcome.status, outcome.reason) == ("failed", "HTTP 403: InvalidProviderToken")


def test_exactly_one_outcome_per_item_over_one_connection_with_many_concurrent_streams(
    apns_server: ApnsServer, make_channel: MakeChannel
) -> None:
    channel = make_channel(concurrency=50)
    for n in range(0, 300, 7):
        apns_server.script(device(n), 410, "Unregistered")
    for n in range(3, 300, 11):
        apns_server.script(device(n), 503, "ServiceUnavailable")

    outcomes = channel.send([outgoing(n, delivery_id=1000 + n) for n in range(300)])

    assert sorted(o.delivery_id for o in outcomes) == [1000 + n for n in range(300)]
    by_id = {o.delivery_id: o.status for o in outcomes}
    assert by_id[1000] == "gone"
    assert by_id[1003] == "retry"
    assert by_id[1001] == "sent"
    assert len(apns_server.received) == sum(1 for o in outcomes if o.status == "sent")
    assert apns_server.connections == 1
    assert 1 < apns_server.max_in_flight <= 50


def test_the_connection_is_reused_by_the_next_batch(
    apns_server: ApnsServer, channel: ApnsChannel
) -> None:
    channel.send([outgoing(n) for n in range(5)])
    channel.send([outgoing(n) for n in range(5, 10)])

    assert apns_server.connections == 1
    assert {r.connection for r in apns_server.received} == {1}


def test_an_unreachable_endpoint_is_retried(make_channel: MakeChannel) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    channel = make_channel(endpoint=f"https://127.0.0.1:{port}", timeout=2.0)

    outcomes = channel.send([outgoing(1), outgoing(2)])

    assert [o.status for o in outcomes] == ["retry", "retry"]


def test_a_server_that_does_not_answer_in_time_is_retried(make_channel: MakeChannel) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        channel = make_channel(endpoint=f"https://127.0.0.1:{port}", timeout=0.5)
        [outcome] = channel.send([outgoing(1)])

    assert outcome.status == "retry"
    assert "timeout" in outcome.reason


def test_a_closed_channel_refuses_to_send(channel: ApnsChannel) -> None:
    channel.close()
    with pytest.raises(RuntimeError):
        channel.send([outgoing(1)])


@pytest.mark.parametrize(
    "server_options",
    [
        pytest.param({"max_concurrent_streams": 8}, id="widened-from-one-to-eight"),
    ],
)
def test_the_servers_stream_limit_bounds_concurrency_and_nothing_is_lost(
    clock: Clock, make_channel: MakeChannel, server_options: dict[str, object]
) -> None:
    from .conftest import KEY_ID, TEAM_ID, TOPIC, fixed_key

    with ApnsServer(
        fixed_key().public_key(),
        team_id=TEAM_ID,
        key_id=KEY_ID,
        topic=TOPIC,
        clock=clock,
        **server_options,  # type: ignore[arg-type]
    ) as server:
        channel = make_channel(endpoint=server.url, verify=server.client_ssl_context())
        outcomes = channel.send([outgoing(n) for n in range(120)])
        channel.close()

        assert [(o.status, o.reason) for o in outcomes] == [("sent", "")] * 120
        assert server.max_in_flight <= 8
        assert server.connections == 1


def test_a_server_narrowing_its_stream_limit_mid_batch_never_stalls_the_batch(
    clock: Clock, make_channel: MakeChannel
) -> None:
    from .conftest import KEY_ID, TEAM_ID, TOPIC, fixed_key

    with ApnsServer(
        fixed_key().public_key(),
        team_id=TEAM_ID,
        key_id=KEY_ID,
        topic=TOPIC,
        clock=clock,
        lower_streams=(20, 4),
    ) as server:
        channel = make_channel(endpoint=server.url, verify=server.client_ssl_context(), timeout=1.0)
        started = time.monotonic()
        outcomes = channel.send([outgoing(n, delivery_id=n) for n in range(120)])
        channel.close()

    assert time.monotonic() - started < 10
    assert sorted(o.delivery_id for o in outcomes) == list(range(120))
    assert {o.status for o in outcomes} <= {"sent", "retry"}
    # Answers stuck in the stalled connection come back as retries (at least once; the device
    # replaces a repeat in place through the collapse id), never as a hang or a lost item.
    assert sum(o.status == "sent" for o in outcomes) <= len(server.received)
