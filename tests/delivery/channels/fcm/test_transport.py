"""The channel against a real local FCM v1 service and token endpoint (tests/support/fcm_server.py)."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest

from stadtbote.delivery.channels.base import Channel, Outgoing
from stadtbote.delivery.channels.fcm import FcmChannel
from stadtbote.delivery.channels.fcm.oauth import SCOPE
from tests.support.fcm_server import FcmServer

from .conftest import PROJECT, START, Clock, MakeChannel, make_notice, outgoing, token


def test_the_channel_implements_the_channel_protocol(channel: FcmChannel) -> None:
    implementation: Channel = channel
    assert implementation.kind == "fcm"


def test_a_message_reaches_its_token_as_a_v1_message_with_notification_and_data(
    fcm_server: FcmServer, channel: FcmChannel
) -> None:
    [outcome] = channel.send([outgoing(1, delivery_id=101)])

    assert (outcome.delivery_id, outcome.status, outcome.reason) == (101, "sent", "")
    [received] = fcm_server.received_for(token(1))
    assert received.message == {
        "token": token(1),
        "notification": {
            "title": "Hochwasserwarnung Rheinufer",
            "body": "Der Pegel steigt. Bitte meiden Sie die Uferwege bis Freitag.",
        },
        "data": {
            "message_id": "msg-0042",
            "kind": "message",
            "severity": "severe",
            "url": "https://musterstadt.example/m/msg-0042",
            "tenant": "musterstadt",
            "tenant_name": "Stadt Musterstadt",
            "lang": "de",
            "expires_at": "2030-01-02T12:00:00+00:00",
            "sent_at": "2030-01-01T12:00:00+00:00",
        },
        "android": {
            "priority": "HIGH",
            "collapse_key": "msg-0042",
            "notification": {"tag": "msg-0042"},
            "ttl": "86400s",
        },
    }


@pytest.mark.parametrize(
    ("severity", "priority"),
    [
        ("info", "NORMAL"),
        ("minor", "NORMAL"),
        ("moderate", "NORMAL"),
        ("severe", "HIGH"),
        ("extreme", "HIGH"),
    ],
)
def test_a_message_reaches_a_token_with_the_priority_its_severity_deserves(
    fcm_server: FcmServer, channel: FcmChannel, severity: str, priority: str
) -> None:
    [outcome] = channel.send([outgoing(2, notice=make_notice(severity=severity))])

    assert outcome.status == "sent"
    [received] = fcm_server.received_for(token(2))
    assert received.message["android"]["priority"] == priority
    assert received.message["data"]["severity"] == severity


def test_an_update_collapses_into_the_message_it_replaces(
    fcm_server: FcmServer, channel: FcmChannel
) -> None:
    update = make_notice(
        message_id="msg-0043", kind="update", replaces="msg-0042", previous_severity="moderate"
    )

    assert channel.send([outgoing(3, notice=update)])[0].status == "sent"

    [received] = fcm_server.received_for(token(3))
    assert received.message["android"]["collapse_key"] == "msg-0042"
    assert received.message["android"]["notification"] == {"tag": "msg-0042"}
    assert received.message["data"]["replaces"] == "msg-0042"
    assert received.message["data"]["previous_severity"] == "moderate"


def test_a_notice_without_expiry_leaves_the_ttl_to_fcm(
    fcm_server: FcmServer, channel: FcmChannel
) -> None:
    assert channel.send([outgoing(4, notice=make_notice(expires_at=None))])[0].status == "sent"

    [received] = fcm_server.received_for(token(4))
    assert "ttl" not in received.message["android"]
    assert "expires_at" not in received.message["data"]


def test_the_token_request_is_a_service_account_jwt_signed_for_firebase_messaging(
    fcm_server: FcmServer, channel: FcmChannel, account: dict[str, str]
) -> None:
    channel.send([outgoing(5)])

    [request] = fcm_server.token_requests
    assert request.status == 200
    assert request.client_email == account["client_email"]
    assert request.claims == {
        "iss": account["client_email"],
        "scope": SCOPE,
        "aud": fcm_server.token_url,
        "iat": int(START),
        "exp": int(START) + 3600,
    }


def test_the_access_token_is_fetched_once_for_many_sends_and_channels(
    fcm_server: FcmServer, make_channel: MakeChannel
) -> None:
    first = make_channel()
    assert {o.status for o in first.send([outgoing(n) for n in range(30)])} == {"sent"}
    assert {o.status for o in first.send([outgoing(n) for n in range(30, 40)])} == {"sent"}
    # The registry opens a new channel per batch; the token is cached per process.
    second = make_channel()
    assert {o.status for o in second.send([outgoing(n) for n in range(40, 50)])} == {"sent"}

    assert len(fcm_server.token_requests) == 1
    assert {r.access_token for r in fcm_server.received} == {"ya29.fake-0001"}


def test_the_access_token_is_refreshed_shortly_before_it_expires(
    fcm_server: FcmServer, channel: FcmChannel, clock: Clock
) -> None:
    channel.send([outgoing(1)])
    clock.advance(3599 - 600)  # still well within the token's hour
    channel.send([outgoing(2)])
    clock.advance(400)  # less than five minutes left: fetch a fresh one
    channel.send([outgoing(3)])

    assert [r.access_token for r in fcm_server.received] == [
        "ya29.fake-0001",
        "ya29.fake-0001",
        "ya29.fake-0002",
    ]


def test_a_401_drops_the_cached_token_and_the_message_is_sent_with_a_fresh_one(
    fcm_server: FcmServer, channel: FcmChannel
) -> None:
    channel.send([outgoing(1)])
    fcm_server.revoke_access_tokens()

    outcomes = channel.send([outgoing(n) for n in range(2, 12)])

    assert {o.status for o in outcomes} == {"sent"}
    # One refresh for the whole batch, not one per message that saw the 401.
    assert len(fcm_server.issued_tokens) == 2
    assert {r.access_token for r in fcm_server.received if r.token != token(1)} == {
        "ya29.fake-0002"
    }


def test_a_401_is_retried_once_and_then_left_to_the_engine(
    fcm_server: FcmServer, channel: FcmChannel
) -> None:
    fcm_server.respond(token(1), "unauthenticated", times=1)
    fcm_server.respond(token(2), "unauthenticated", times=2)

    once, twice = sorted(channel.send([outgoing(1), outgoing(2)]), key=lambda o: o.delivery_id)

    assert once.status == "sent"
    assert twice.status == "retry"
    assert twice.reason.startswith("HTTP 401 UNAUTHENTICATED")


def test_a_third_party_auth_error_fails_without_fetching_a_new_token(
    fcm_server: FcmServer, channel: FcmChannel
) -> None:
    fcm_server.respond(token(1), "third_party_auth")

    [outcome] = channel.send([outgoing(1)])

    assert outcome.status == "failed"
    assert "THIRD_PARTY_AUTH_ERROR" in outcome.reason
    assert len(fcm_server.token_requests) == 1


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        ("unregistered", "UNREGISTERED"),
        ("invalid_token", "INVALID_ARGUMENT"),
        ("sender_id_mismatch", "SENDER_ID_MISMATCH"),
    ],
)
def test_an_unregistered_or_foreign_token_is_gone(
    fcm_server: FcmServer, channel: FcmChannel, answer: str, code: str
) -> None:
    fcm_server.respond(token(1), answer)

    [outcome] = channel.send([outgoing(1)])

    assert outcome.status == "gone"
    assert code in outcome.reason
    assert fcm_server.received == []


def test_a_token_that_cannot_be_one_is_gone_without_asking_fcm(
    fcm_server: FcmServer, channel: FcmChannel
) -> None:
    items = [
        Outgoing(1, "", make_notice()),
        Outgoing(2, "has whitespace", make_notice()),
        Outgoing(3, "x" * 5000, make_notice()),
    ]

    outcomes = channel.send(items)

    assert [o.status for o in outcomes] == ["gone", "gone", "gone"]
    assert fcm_server.stats()["send_requests"] == 0


def test_a_429_asks_for_a_retry_after_the_seconds_fcm_named(
    fcm_server: FcmServer, channel: FcmChannel
) -> None:
    fcm_server.respond(token(1), "quota_exceeded", retry_after=30)

    first = channel.send([outgoing(1)])[0]
    second = channel.send([outgoing(1)])[0]

    assert (first.status, first.retry_after) == ("retry", 30.0)
    assert "QUOTA_EXCEEDED" in first.reason
    assert second.status == "sent"


@pytest.mark.parametrize(
    ("answer", "retry_after", "expected"),
    [
        ("internal", None, None),
        ("unavailable", "10", 10.0),
        ("malformed_error", None, None),
    ],
)
def test_a_server_error_asks_for_a_retry(
    fcm_server: FcmServer,
    channel: FcmChannel,
    answer: str,
    retry_after: str | None,
    expected: float | None,
) -> None:
    fcm_server.respond(token(1), answer, retry_after=retry_after)

    [outcome] = channel.send([outgoing(1)])

    assert (outcome.status, outcome.retry_after) == ("retry", expected)
    assert outcome.reason.startswith(("HTTP 500", "HTTP 503", "HTTP 502"))


def test_a_request_slower_than_the_timeout_is_retried(
    fcm_server: FcmServer, make_channel: MakeChannel
) -> None:
    # Wide margins: a busy CI machine must not make the fast request time out too.
    channel = make_channel(timeout=0.8)
    channel.send([outgoing(1)])  # the token arrives in time
    fcm_server.set_delay(2.0, token(2))

    slow, fast = sorted(channel.send([outgoing(2), outgoing(3)]), key=lambda o: o.delivery_id)

    assert (slow.status, slow.reason) == ("retry", "timeout after 0.8s")
    assert fast.status == "sent"
    assert fcm_server.settle()
    # The server finished the abandoned request after the client had gone: not delivered.
    assert fcm_server.received_for(token(2)) == []


def test_an_unreachable_fcm_asks_for_a_retry(make_channel: MakeChannel) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    channel = make_channel(endpoint=f"http://127.0.0.1:{port}", timeout=2.0)

    [outcome] = channel.send([outgoing(1)])

    assert outcome.status == "retry"
    assert outcome.reason.startswith("connection failed")


def test_a_token_endpoint_that_fails_is_asked_once_per_batch_and_every_item_retries(
    fcm_server: FcmServer, channel: FcmChannel
) -> None:
    fcm_server.fail_token_requests(500, times=1)

    outcomes = channel.send([outgoing(n) for n in range(20)])

    assert {o.status for o in outcomes} == {"retry"}
    assert (
        outcomes[0].reason == "oauth: token endpoint HTTP 500: internal_failure: scripted failure"
    )
    assert len(fcm_server.token_requests) == 1
    # The next batch tries again.
    assert channel.send([outgoing(1)])[0].status == "sent"


def test_a_service_account_google_does_not_know_is_refused_at_the_token_endpoint(
    fcm_server: FcmServer, make_channel: MakeChannel
) -> None:
    from tests.support.fcm_keys import service_account

    stranger = make_channel(service_account=json.dumps(service_account(99, PROJECT)))

    [outcome] = stranger.send([outgoing(1)])

    assert outcome.status == "retry"
    assert "invalid_grant" in outcome.reason
    assert fcm_server.received == []


@pytest.mark.parametrize("answer", ["malformed_success", "forbidden_project"])
def test_a_malformed_or_refusing_answer_fails(
    fcm_server: FcmServer, channel: FcmChannel, answer: str
) -> None:
    fcm_server.respond(token(1), answer)

    [outcome] = channel.send([outgoing(1)])

    assert outcome.status == "failed"


def test_exactly_one_outcome_per_item_under_concurrency(
    fcm_server: FcmServer, make_channel: MakeChannel
) -> None:
    channel = make_channel(concurrency=8)
    fcm_server.set_delay(0.005)
    answers = {0: "unregistered", 1: "quota_exceeded", 2: "internal", 3: "malformed_success"}
    for n in range(200):
        if n % 10 in answers:
            fcm_server.respond(token(n), answers[n % 10])

    outcomes = channel.send([outgoing(n) for n in range(200)])

    assert sorted(o.delivery_id for o in outcomes) == list(range(200))
    by_id = {o.delivery_id: o.status for o in outcomes}
    expected = {0: "gone", 1: "retry", 2: "retry", 3: "failed"}
    assert all(by_id[n] == expected.get(n % 10, "sent") for n in range(200))
    assert len(fcm_server.received) == 120
    assert fcm_server.stats()["max_in_flight"] <= 8
    assert len(fcm_server.token_requests) == 1


def test_send_refuses_to_run_inside_an_event_loop(channel: FcmChannel) -> None:
    async def inside() -> None:
        channel.send([outgoing(1)])

    with pytest.raises(RuntimeError, match="outside an event loop"):
        asyncio.run(inside())


def test_a_closed_channel_sends_nothing(channel: FcmChannel) -> None:
    channel.close()

    with pytest.raises(RuntimeError, match="closed"):
        channel.send([outgoing(1)])


def test_an_empty_batch_needs_no_token(fcm_server: FcmServer, channel: FcmChannel) -> None:
    assert channel.send([]) == []
    assert fcm_server.token_requests == []


@pytest.mark.parametrize(
    ("project", "credentials", "options", "message"),
    [
        ("Not A Project", None, {}, "project id"),
        (PROJECT, "{not json", {}, "JSON key file"),
        (PROJECT, {"type": "service_account", "client_email": "a@b"}, {}, "private_key"),
        (PROJECT, None, {"endpoint": "http://fcm.example"}, "https"),
        (PROJECT, None, {"token_url": "ftp://127.0.0.1/token"}, "https"),
        (PROJECT, None, {"concurrency": 0}, "concurrency"),
    ],
)
def test_bad_configuration_is_refused_when_the_channel_is_made(
    account: dict[str, str],
    project: str,
    credentials: object,
    options: dict[str, object],
    message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        FcmChannel(project, credentials if credentials is not None else account, **options)


def test_chunks_sent_one_after_another_reuse_the_channels_connections(
    fcm_server: FcmServer, make_channel: MakeChannel
) -> None:
    channel = make_channel(concurrency=4)
    for chunk in range(5):
        outcomes = channel.send([outgoing(chunk * 20 + n) for n in range(20)])
        assert {o.status for o in outcomes} == {"sent"}

    assert fcm_server.stats()["accepted"] == 100
    assert fcm_server.stats()["connections"] <= 4  # not one handshake per chunk
