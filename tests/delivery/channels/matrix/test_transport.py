"""The Matrix channel against a real local homeserver (tests/support/matrix_server.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stadtbote.delivery.channels.base import TransportError
from stadtbote.delivery.channels.broadcast import BroadcastChannel, BroadcastItem
from stadtbote.delivery.channels.matrix import MatrixChannel, txn_id
from tests.delivery.channels.native_push import make_notice
from tests.support.matrix_server import ANSWERS, MatrixServer

TOKEN = "syt_bXVzdGVyc3RhZHQ_access"
ROOM = "!town:example.org"
ITEM = BroadcastItem(notice=make_notice(), key="msg-0042:message:1")


@pytest.fixture
def homeserver() -> Iterator[MatrixServer]:
    with MatrixServer(TOKEN, room_id=ROOM, alias="#musterstadt:example.org") as server:
        yield server


def make_channel(server: MatrixServer, room: str = ROOM, token: str = TOKEN) -> MatrixChannel:
    return MatrixChannel(server.url, room, token, allowed_hosts=[server.host_port])


@pytest.fixture
def channel(homeserver: MatrixServer) -> Iterator[MatrixChannel]:
    channel = make_channel(homeserver)
    yield channel
    channel.close()


def test_the_channel_implements_the_broadcast_protocol(channel: MatrixChannel) -> None:
    implementation: BroadcastChannel = channel
    assert implementation.kind == "matrix"


def test_a_message_is_put_into_the_room_under_a_transaction_id_from_its_key(
    homeserver: MatrixServer, channel: MatrixChannel
) -> None:
    posted = channel.post(ITEM)

    [event] = homeserver.events
    assert posted.remote_id == event.event_id
    assert posted.url == f"https://matrix.to/#/{ROOM}/{event.event_id}"
    assert event.room_id == ROOM
    assert event.type == "m.room.message"
    assert event.txn_id == txn_id("msg-0042:message:1")
    assert event.content["msgtype"] == "m.text"
    assert event.content["format"] == "org.matrix.custom.html"
    assert event.content["body"].startswith("Unwetterwarnung: Hochwasserwarnung Rheinufer")
    # The room id travels percent-encoded in the path.
    [request] = homeserver.requests
    assert request.method == "PUT"
    assert request.path.startswith("/_matrix/client/v3/rooms/%21town%3Aexample.org/send/")
    assert request.headers["authorization"] == f"Bearer {TOKEN}"


def test_the_same_key_twice_is_one_event(homeserver: MatrixServer, channel: MatrixChannel) -> None:
    first = channel.post(ITEM)
    again = channel.post(ITEM)

    assert again.remote_id == first.remote_id
    assert len(homeserver.events) == 1


def test_transaction_ids_differ_per_key_and_are_url_safe() -> None:
    assert txn_id("a:message:1") != txn_id("a:withdrawal:1")
    assert txn_id("a:message:1").replace("-", "").isalnum()


def test_a_withdrawal_replies_to_the_original_event(
    homeserver: MatrixServer, channel: MatrixChannel
) -> None:
    original = channel.post(ITEM)

    channel.post(
        BroadcastItem(
            notice=make_notice(kind="withdrawal", title="Zurückgezogen: Hochwasserwarnung"),
            key="msg-0042:withdrawal:1",
            reply_to=original.remote_id,
        )
    )

    relates = homeserver.events[1].content["m.relates_to"]
    assert relates == {"m.in_reply_to": {"event_id": original.remote_id}}


def test_a_room_alias_is_resolved_once_and_then_posted_to_by_id(
    homeserver: MatrixServer,
) -> None:
    channel = make_channel(homeserver, room="#musterstadt:example.org")

    channel.post(ITEM)
    channel.post(BroadcastItem(notice=make_notice(), key="msg-0043:message:1"))

    paths = [r.path for r in homeserver.requests]
    assert paths[0] == "/_matrix/client/v3/directory/room/%23musterstadt%3Aexample.org"
    assert [e.room_id for e in homeserver.events] == [ROOM, ROOM]
    assert len(paths) == 3
    channel.close()


def test_rate_limiting_is_retryable_after_retry_after_ms(
    homeserver: MatrixServer, channel: MatrixChannel
) -> None:
    homeserver.fail_next(ANSWERS["rate_limited"])

    with pytest.raises(TransportError) as caught:
        channel.post(ITEM)

    assert not caught.value.permanent
    assert caught.value.retry_after == 2.5


def test_an_unknown_token_fails_permanently(homeserver: MatrixServer) -> None:
    channel = make_channel(homeserver, token="syt_revoked")

    with pytest.raises(TransportError, match="M_UNKNOWN_TOKEN") as caught:
        channel.post(ITEM)

    assert caught.value.permanent
    channel.close()


def test_a_room_the_bot_is_not_in_fails_permanently(homeserver: MatrixServer) -> None:
    channel = make_channel(homeserver, room="!elsewhere:example.org")

    with pytest.raises(TransportError, match="M_FORBIDDEN") as caught:
        channel.post(ITEM)

    assert caught.value.permanent
    channel.close()


def test_an_unknown_alias_fails_permanently(homeserver: MatrixServer) -> None:
    channel = make_channel(homeserver, room="#nirgendwo:example.org")

    with pytest.raises(TransportError, match="M_NOT_FOUND") as caught:
        channel.post(ITEM)

    assert caught.value.permanent
    channel.close()


def test_a_bad_gateway_is_retryable_and_the_resend_posts_once(
    homeserver: MatrixServer, channel: MatrixChannel
) -> None:
    homeserver.fail_next(ANSWERS["bad_gateway"])

    with pytest.raises(TransportError) as caught:
        channel.post(ITEM)
    assert not caught.value.permanent
    channel.post(ITEM)

    assert len(homeserver.events) == 1


def test_a_homeserver_off_the_allow_list_is_never_called(homeserver: MatrixServer) -> None:
    channel = MatrixChannel(homeserver.url, ROOM, TOKEN, allowed_hosts=["matrix.example.org"])

    with pytest.raises(TransportError, match="allow-list") as caught:
        channel.post(ITEM)

    assert caught.value.permanent
    assert homeserver.requests == []
