"""Send a room message through the Matrix client-server API (v3) with an access token.

The transaction id is derived from the post's idempotency key: a homeserver answers a repeated
``PUT .../send/m.room.message/{txnId}`` from the same access token with the event it already
created, so a resend after a crash does not post twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import httpx

from stadtbote.delivery.channels.base import TransportError
from stadtbote.delivery.channels.broadcast import (
    MATRIX_LIMIT,
    BroadcastItem,
    HostNotAllowed,
    Posted,
    check_host,
    http_client,
    matrix_content,
    request,
    retry_after_seconds,
)

# Errors that asking again cannot fix: the token is gone, the bot left or was banned, the
# room does not exist, or the event is malformed.
PERMANENT_CODES = frozenset(
    {"M_FORBIDDEN", "M_UNKNOWN_TOKEN", "M_MISSING_TOKEN", "M_NOT_FOUND", "M_BAD_JSON"}
    | {"M_NOT_JSON", "M_INVALID_PARAM", "M_TOO_LARGE"}
)


def txn_id(key: str) -> str:
    """A transaction id from the idempotency key: same key, same id; only URL-safe letters."""
    return "stadtbote-" + hashlib.sha256(key.encode()).hexdigest()[:40]


class MatrixChannel:
    kind = "matrix"

    def __init__(
        self,
        homeserver: str,
        room: str,
        token: str,
        *,
        allowed_hosts: Sequence[str],
        limit: int = MATRIX_LIMIT,
    ):
        self.homeserver = homeserver.rstrip("/")
        self.room = room  # "!opaque:server" or an alias "#name:server"
        self._token = token
        self._allowed = tuple(allowed_hosts)
        self._limit = limit
        self._room_id: str | None = room if room.startswith("!") else None
        self._client: httpx.Client | None = None

    def post(self, post: BroadcastItem) -> Posted:
        try:
            check_host(f"{self.homeserver}/_matrix/client/v3", self._allowed)
        except HostNotAllowed as exc:
            raise TransportError(str(exc), permanent=True) from None
        room_id = self._resolve()
        content: dict[str, Any] = dict(matrix_content(post.notice, self._limit))
        if post.reply_to:
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": post.reply_to}}
        url = (
            f"{self.homeserver}/_matrix/client/v3/rooms/{quote(room_id, safe='')}"
            f"/send/m.room.message/{quote(txn_id(post.key), safe='')}"
        )
        response = self._call("PUT", url, json=content)
        event_id = response.get("event_id")
        if not isinstance(event_id, str) or not event_id:
            raise TransportError("the homeserver answered without an event_id")
        link = f"https://matrix.to/#/{quote(room_id, safe='!:')}/{quote(event_id, safe='$:')}"
        return Posted(remote_id=event_id, url=link)

    def _resolve(self) -> str:
        """A room alias is looked up once per channel (the send endpoint needs the id)."""
        if self._room_id is None:
            url = f"{self.homeserver}/_matrix/client/v3/directory/room/{quote(self.room, safe='')}"
            answer = self._call("GET", url)
            room_id = answer.get("room_id")
            if not isinstance(room_id, str) or not room_id.startswith("!"):
                raise TransportError(f"the alias {self.room} has no room id", permanent=True)
            self._room_id = room_id
        return self._room_id

    def _call(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        if self._client is None:
            self._client = http_client()
        headers = {"Authorization": f"Bearer {self._token}"}
        response = request(self._client, method, url, headers=headers, **kwargs)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            body = {}
        if response.status_code == 200:
            return body
        code = str(body.get("errcode") or "")
        reason = f"Matrix {response.status_code} {code}: {str(body.get('error') or '')[:200]}"
        if code == "M_LIMIT_EXCEEDED" or response.status_code == 429:
            wait = body.get("retry_after_ms")
            seconds = wait / 1000 if isinstance(wait, int | float) and wait >= 0 else None
            if seconds is None:
                seconds = retry_after_seconds(response.headers.get("Retry-After"))
            raise TransportError(reason, retry_after=seconds)
        if code in PERMANENT_CODES or response.status_code in (400, 401, 403, 404):
            raise TransportError(reason, permanent=True)
        raise TransportError(
            reason, retry_after=retry_after_seconds(response.headers.get("Retry-After"))
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
