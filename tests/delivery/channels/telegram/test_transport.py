"""The Telegram channel against a real local Bot API (tests/support/telegram_server.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stadtbote.delivery.channels.base import TransportError
from stadtbote.delivery.channels.broadcast import BroadcastChannel, BroadcastItem
from stadtbote.delivery.channels.telegram import TelegramChannel
from tests.delivery.channels.native_push import make_notice
from tests.support.telegram_server import ANSWERS, TelegramServer

TOKEN = "123456789:AAH-musterstadt-bot-token"
ITEM = BroadcastItem(notice=make_notice(), key="msg-0042:message:1")


@pytest.fixture
def bot_api() -> Iterator[TelegramServer]:
    with TelegramServer(TOKEN, channel="@musterstadt", channel_id=-1001234) as server:
        yield server


def make_channel(api: TelegramServer, chat: str = "@musterstadt", token: str = TOKEN):
    return TelegramChannel(token, chat, api=api.url, allowed_hosts=[api.host_port])


@pytest.fixture
def channel(bot_api: TelegramServer) -> Iterator[TelegramChannel]:
    channel = make_channel(bot_api)
    yield channel
    channel.close()


def test_the_channel_implements_the_broadcast_protocol(channel: TelegramChannel) -> None:
    implementation: BroadcastChannel = channel
    assert implementation.kind == "telegram"


def test_a_message_is_sent_to_the_channel_as_html_without_a_link_preview(
    bot_api: TelegramServer, channel: TelegramChannel
) -> None:
    posted = channel.post(ITEM)

    [sent] = bot_api.sent
    assert posted.remote_id == str(sent.message_id)
    assert posted.url == f"https://t.me/musterstadt/{sent.message_id}"
    assert sent.html.startswith("<b>Unwetterwarnung: Hochwasserwarnung Rheinufer</b>")
    assert sent.text.endswith("https://musterstadt.example/m/msg-0042")
    assert sent.link_preview_options == {"is_disabled": True}
    [request] = bot_api.requests
    assert request.path == f"/bot{TOKEN}/sendMessage"
    assert request.json()["parse_mode"] == "HTML"


def test_a_numeric_chat_id_is_sent_as_a_number_and_has_no_public_url(
    bot_api: TelegramServer,
) -> None:
    channel = make_channel(bot_api, chat="-1001234")

    posted = channel.post(ITEM)

    assert bot_api.requests[0].json()["chat_id"] == -1001234
    assert posted.url is None
    channel.close()


def test_markup_in_the_text_reaches_readers_as_text(
    bot_api: TelegramServer, channel: TelegramChannel
) -> None:
    notice = make_notice(title="Sperrung <B 55> & Umleitung", body="a < b > c & d")

    channel.post(BroadcastItem(notice=notice, key="k"))

    assert "Sperrung <B 55> & Umleitung" in bot_api.sent[0].text
    assert "a < b > c & d" in bot_api.sent[0].text


def test_an_update_replies_to_the_original_message(
    bot_api: TelegramServer, channel: TelegramChannel
) -> None:
    original = channel.post(ITEM)
    update = BroadcastItem(
        notice=make_notice(kind="update", title="Update: Hochwasserwarnung Rheinufer"),
        key="msg-0043:update:1",
        reply_to=original.remote_id,
    )

    channel.post(update)

    assert bot_api.sent[1].reply_to == int(original.remote_id)
    assert bot_api.requests[1].json()["reply_parameters"] == {
        "message_id": int(original.remote_id),
        "allow_sending_without_reply": True,
    }


def test_a_flood_limit_is_retryable_after_the_seconds_telegram_asks_for(
    bot_api: TelegramServer, channel: TelegramChannel
) -> None:
    bot_api.fail_next(ANSWERS["flood"])

    with pytest.raises(TransportError) as caught:
        channel.post(ITEM)

    assert not caught.value.permanent
    assert caught.value.retry_after == 7


@pytest.mark.parametrize("answer", ["kicked", "unauthorized"])
def test_a_bot_without_rights_fails_permanently(
    bot_api: TelegramServer, channel: TelegramChannel, answer: str
) -> None:
    bot_api.fail_next(ANSWERS[answer])

    with pytest.raises(TransportError) as caught:
        channel.post(ITEM)

    assert caught.value.permanent


def test_an_unknown_chat_fails_permanently_with_telegrams_reason(
    bot_api: TelegramServer,
) -> None:
    channel = make_channel(bot_api, chat="@nachbarstadt")

    with pytest.raises(TransportError, match="chat not found") as caught:
        channel.post(ITEM)

    assert caught.value.permanent
    channel.close()


def test_a_revoked_token_fails_permanently_and_is_not_in_the_reason(
    bot_api: TelegramServer,
) -> None:
    channel = make_channel(bot_api, token="123456789:revoked")

    with pytest.raises(TransportError) as caught:
        channel.post(ITEM)

    assert caught.value.permanent
    assert "revoked" not in caught.value.reason
    channel.close()


def test_a_bad_gateway_is_retryable(bot_api: TelegramServer, channel: TelegramChannel) -> None:
    bot_api.fail_next(ANSWERS["bad_gateway"])

    with pytest.raises(TransportError) as caught:
        channel.post(ITEM)

    assert not caught.value.permanent


def test_a_bot_api_off_the_allow_list_is_never_called(
    bot_api: TelegramServer,
) -> None:
    channel = TelegramChannel(
        TOKEN, "@musterstadt", api=bot_api.url, allowed_hosts=["api.telegram.org"]
    )

    with pytest.raises(TransportError, match="allow-list") as caught:
        channel.post(ITEM)

    assert caught.value.permanent
    assert bot_api.requests == []
