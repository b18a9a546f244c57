"""Send a message to a Telegram channel with the Bot API (``sendMessage``).

The bot must be an administrator of the channel. The Bot API has no idempotency key: the
``broadcast`` app records a post as sent right after the call, so only a crash between the
call and that write can post twice, which is the at-least-once promise (ADR 0005).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from stadtbote.delivery.channels.base import TransportError
from stadtbote.delivery.channels.broadcast import (
    TELEGRAM_LIMIT,
    BroadcastItem,
    HostNotAllowed,
    Posted,
    check_host,
    http_client,
    request,
    telegram_html,
)

API = "https://api.telegram.org"
# 400 (chat not found, bad markup), 401 (token revoked), 403 (bot removed from the channel),
# 404 (no such bot): asking again cannot help.
PERMANENT = frozenset({400, 401, 403, 404})


class TelegramChannel:
    kind = "telegram"

    def __init__(
        self,
        token: str,
        chat_id: str,
        *,
        allowed_hosts: Sequence[str],
        api: str = API,
        limit: int = TELEGRAM_LIMIT,
    ):
        self._token = token
        self.chat_id = chat_id
        self._api = api.rstrip("/")
        self._allowed = tuple(allowed_hosts)
        self._limit = limit
        self._client: httpx.Client | None = None

    def post(self, post: BroadcastItem) -> Posted:
        try:
            check_host(f"{self._api}/", self._allowed)
        except HostNotAllowed as exc:
            raise TransportError(str(exc), permanent=True) from None
        payload: dict[str, Any] = {
            "chat_id": _chat(self.chat_id),
            "text": telegram_html(post.notice, self._limit),
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
        }
        if post.reply_to and post.reply_to.isdigit():
            # allow_sending_without_reply: a deleted original must not stop the withdrawal.
            payload["reply_parameters"] = {
                "message_id": int(post.reply_to),
                "allow_sending_without_reply": True,
            }
        if self._client is None:
            self._client = http_client()
        # The token is part of the path; it must never reach a log or a reason.
        response = request(
            self._client, "POST", f"{self._api}/bot{self._token}/sendMessage", json=payload
        )
        return self._outcome(response)

    def _outcome(self, response: httpx.Response) -> Posted:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise TransportError(f"Telegram {response.status_code} without a JSON answer")
        if body.get("ok") is True:
            result = body.get("result") or {}
            try:
                message_id = str(int(result["message_id"]))
            except (KeyError, TypeError, ValueError):
                raise TransportError("Telegram answered ok without a message_id") from None
            return Posted(remote_id=message_id, url=_public_url(self.chat_id, message_id))
        code = body.get("error_code") or response.status_code
        reason = f"Telegram {code}: {str(body.get('description') or 'error')[:200]}"
        parameters = body.get("parameters") or {}
        if code == 429:
            wait = parameters.get("retry_after") if isinstance(parameters, dict) else None
            raise TransportError(reason, retry_after=float(wait) if wait is not None else None)
        if code in PERMANENT:
            raise TransportError(reason, permanent=True)
        raise TransportError(reason)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def _chat(chat_id: str) -> int | str:
    """Numeric ids (-100…) as numbers, ``@channelname`` as it is."""
    try:
        return int(chat_id)
    except ValueError:
        return chat_id


def _public_url(chat_id: str, message_id: str) -> str | None:
    """A public channel's post has an address (t.me/<name>/<id>); a private one has none."""
    if chat_id.startswith("@"):
        return f"https://t.me/{chat_id[1:]}/{message_id}"
    return None
