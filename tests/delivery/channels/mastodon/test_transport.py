"""The Mastodon channel against a real local instance (tests/support/mastodon_server.py)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

import pytest

from stadtbote.delivery.channels import broadcast
from stadtbote.delivery.channels.base import TransportError
from stadtbote.delivery.channels.broadcast import BroadcastChannel, BroadcastItem
from stadtbote.delivery.channels.mastodon import MastodonChannel
from tests.delivery.channels.native_push import START, make_notice
from tests.support.http_peer import Answer
from tests.support.mastodon_server import ANSWERS, MastodonServer

TOKEN = "mastodon-token-musterstadt"
ITEM = BroadcastItem(notice=make_notice(), key="msg-0042:message:1")


@pytest.fixture
def instance() -> Iterator[MastodonServer]:
    with MastodonServer(TOKEN) as server:
        yield server


@pytest.fixture
def channel(instance: MastodonServer) -> Iterator[MastodonChannel]:
    channel = MastodonChannel(
        instance.url, TOKEN, allowed_hosts=[instance.host_port], clock=lambda: START
    )
    yield channel
    channel.close()


def test_the_channel_implements_the_broadcast_protocol(channel: MastodonChannel) -> None:
    implementation: BroadcastChannel = channel
    assert implementation.kind == "mastodon"


def test_a_message_becomes_one_public_status_in_the_notice_language(
    instance: MastodonServer, channel: MastodonChannel
) -> None:
    posted = channel.post(ITEM)

    [status] = instance.statuses
    assert posted.remote_id == status.id
    assert posted.url == f"{instance.url}/@musterstadt/{status.id}"
    assert status.visibility == "public"
    assert status.language == "de"
    assert status.text.startswith("Unwetterwarnung: Hochwasserwarnung Rheinufer")
    assert status.in_reply_to_id is None
    assert instance.requests[0].headers["idempotency-key"] == "msg-0042:message:1"
    assert "spoiler_text" not in instance.requests[0].form()


def test_a_resend_with_the_same_key_does_not_post_twice(
    instance: MastodonServer, channel: MastodonChannel
) -> None:
    first = channel.post(ITEM)
    again = channel.post(ITEM)

    assert again.remote_id == first.remote_id
    assert len(instance.statuses) == 1


def test_a_withdrawal_replies_to_the_original_status(
    instance: MastodonServer, channel: MastodonChannel
) -> None:
    original = channel.post(ITEM)
    withdrawal = BroadcastItem(
        notice=make_notice(kind="withdrawal", title="Zurückgezogen: Hochwasserwarnung"),
        key="msg-0042:withdrawal:1",
        reply_to=original.remote_id,
    )

    channel.post(withdrawal)

    assert instance.statuses[1].in_reply_to_id == original.remote_id
    assert instance.statuses[1].text.startswith("Zurückgezogen: Hochwasserwarnung")


@pytest.mark.parametrize("answer", ["unauthorized", "forbidden", "too_long"])
def test_a_refused_token_or_status_fails_permanently(
    instance: MastodonServer, channel: MastodonChannel, answer: str
) -> None:
    instance.fail_next(ANSWERS[answer])

    with pytest.raises(TransportError) as caught:
        channel.post(ITEM)

    assert caught.value.permanent
    assert caught.value.reason.startswith(f"Mastodon {ANSWERS[answer].status}: ")


def test_a_wrong_token_is_told_apart_by_the_instance(instance: MastodonServer) -> None:
    channel = MastodonChannel(instance.url, "revoked", allowed_hosts=[instance.host_port])

    with pytest.raises(TransportError, match="access token is invalid") as caught:
        channel.post(ITEM)

    assert caught.value.permanent
    channel.close()


def test_rate_limiting_is_retried_when_the_limit_resets(
    instance: MastodonServer, channel: MastodonChannel
) -> None:
    instance.fail_next(ANSWERS["rate_limited"])  # resets at START + 300 s

    with pytest.raises(TransportError) as caught:
        channel.post(ITEM)

    assert not caught.value.permanent
    assert caught.value.retry_after == 300


def test_a_retry_after_header_wins_over_the_rate_limit_reset(
    instance: MastodonServer, channel: MastodonChannel
) -> None:
    instance.fail_next(Answer(429, {"error": "Too many requests"}, {"Retry-After": "42"}))

    with pytest.raises(TransportError) as caught:
        channel.post(ITEM)

    assert caught.value.retry_after == 42


def test_a_server_error_is_retryable_and_the_next_attempt_posts(
    instance: MastodonServer, channel: MastodonChannel
) -> None:
    instance.fail_next(ANSWERS["unavailable"])

    with pytest.raises(TransportError) as caught:
        channel.post(ITEM)
    assert not caught.value.permanent
    channel.post(ITEM)

    assert len(instance.statuses) == 1


def test_an_instance_off_the_allow_list_is_never_called(instance: MastodonServer) -> None:
    channel = MastodonChannel(instance.url, TOKEN, allowed_hosts=["social.example"])

    with pytest.raises(TransportError, match="not on the broadcast allow-list") as caught:
        channel.post(ITEM)

    assert caught.value.permanent
    assert instance.requests == []


def test_an_unreachable_instance_is_a_retryable_network_error() -> None:
    with MastodonServer(TOKEN) as server:
        url, host_port = server.url, server.host_port
    channel = MastodonChannel(url, TOKEN, allowed_hosts=[host_port])

    with pytest.raises(TransportError, match="network error") as caught:
        channel.post(ITEM)

    assert not caught.value.permanent


def test_a_server_that_drips_its_answer_is_given_up_after_the_total_timeout(
    instance: MastodonServer, channel: MastodonChannel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(broadcast, "TOTAL_TIMEOUT", 0.3)
    instance.fail_next(Answer(200, {"id": "1", "content": "x" * 200}, drip=0.02))

    with pytest.raises(TransportError, match="timed out") as caught:
        channel.post(ITEM)

    assert not caught.value.permanent


def test_an_oversized_answer_is_not_read_to_the_end(
    instance: MastodonServer, channel: MastodonChannel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(broadcast, "MAX_ANSWER", 100)
    instance.fail_next(Answer(200, {"id": "1", "content": "x" * 500}))

    with pytest.raises(TransportError, match="too large"):
        channel.post(ITEM)


def test_a_gzip_compressed_answer_is_read(
    instance: MastodonServer, channel: MastodonChannel
) -> None:
    status = {"id": "110000000000000099", "url": "https://social.example/@musterstadt/99"}
    compressed = gzip.compress(json.dumps(status).encode())
    instance.fail_next(Answer(200, compressed, {"Content-Encoding": "gzip"}))

    posted = channel.post(ITEM)

    assert (posted.remote_id, posted.url) == (status["id"], status["url"])
