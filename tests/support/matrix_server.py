"""A real, local Matrix homeserver as far as a bot posting into a room goes (client-server v3).

- ``PUT /_matrix/client/v3/rooms/{roomId}/send/m.room.message/{txnId}``: the access token
  must be valid (``M_MISSING_TOKEN``/``M_UNKNOWN_TOKEN``), its user joined to the room
  (``M_FORBIDDEN``), the content an ``m.text`` with a ``body`` (and ``formatted_body`` when a
  ``format`` is given). A repeated transaction id from the same token returns the event it
  already created, as the spec demands.
- ``GET /_matrix/client/v3/directory/room/{roomAlias}`` resolves an alias.

Path segments arrive percent-encoded and are decoded as a homeserver does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from tests.support.http_peer import Answer, HttpPeer, Request, path_only


def error(status: int, errcode: str, message: str, **extra: Any) -> Answer:
    return Answer(status, {"errcode": errcode, "error": message, **extra})


ANSWERS = {
    "rate_limited": error(429, "M_LIMIT_EXCEEDED", "Too Many Requests", retry_after_ms=2500),
    "unknown_token": error(
        401, "M_UNKNOWN_TOKEN", "Invalid access token passed.", soft_logout=False
    ),
    "forbidden": error(403, "M_FORBIDDEN", "User @bot:example.org not in room"),
    "bad_gateway": Answer(502, b"<html>502 Bad Gateway</html>"),
}

_SEND = re.compile(r"^/_matrix/client/v3/rooms/([^/]+)/send/([^/]+)/([^/]+)$")
_ALIAS = re.compile(r"^/_matrix/client/v3/directory/room/([^/]+)$")


@dataclass(frozen=True)
class Event:
    event_id: str
    room_id: str
    type: str
    txn_id: str
    content: dict[str, Any]


class MatrixServer(HttpPeer):
    def __init__(
        self, token: str, *, room_id: str = "!town:example.org", alias: str = "#town:example.org"
    ):
        super().__init__()
        self.token = token
        self.room_id = room_id
        self.aliases = {alias: room_id}
        self.events: list[Event] = []
        self._by_txn: dict[tuple[str, str], Event] = {}

    def handle(self, request: Request) -> Answer:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            return error(401, "M_MISSING_TOKEN", "Missing access token.")
        if auth.removeprefix("Bearer ") != self.token:
            return ANSWERS["unknown_token"]
        path = path_only(request.path)
        if request.method == "GET" and (match := _ALIAS.match(path)):
            room_id = self.aliases.get(unquote(match[1]))
            if room_id is None:
                return error(404, "M_NOT_FOUND", "Room alias not found")
            return Answer(200, {"room_id": room_id, "servers": ["example.org"]})
        if request.method == "PUT" and (match := _SEND.match(path)):
            return self._send(unquote(match[1]), unquote(match[2]), unquote(match[3]), request)
        return error(404, "M_UNRECOGNIZED", "Unrecognized request")

    def _send(self, room_id: str, event_type: str, txn: str, request: Request) -> Answer:
        if room_id != self.room_id:
            return ANSWERS["forbidden"]
        seen = self._by_txn.get((self.token, txn))
        if seen is not None:
            return Answer(200, {"event_id": seen.event_id})
        content = request.json()
        if not isinstance(content, dict) or not isinstance(content.get("body"), str):
            return error(400, "M_BAD_JSON", "m.room.message needs a string body")
        if "format" in content and not isinstance(content.get("formatted_body"), str):
            return error(400, "M_BAD_JSON", "format without formatted_body")
        relates = content.get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id")
        if relates is not None and not any(e.event_id == relates for e in self.events):
            return error(400, "M_UNKNOWN", "The event replied to is not in this room")
        event = Event(
            event_id=f"$event{len(self.events) + 1}:example.org",
            room_id=room_id,
            type=event_type,
            txn_id=txn,
            content=content,
        )
        self.events.append(event)
        self._by_txn[(self.token, txn)] = event
        return Answer(200, {"event_id": event.event_id})
