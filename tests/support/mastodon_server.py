"""A real, local Mastodon instance as far as posting statuses goes (``POST /api/v1/statuses``).

It checks the Bearer token, validates the form like Mastodon does (a status of at most
``limit`` characters, a known visibility, an existing ``in_reply_to_id``) and honours
``Idempotency-Key``: a repeated key from the same token gets the status it already created.
``ANSWERS`` are Mastodon's real error answers, to script with ``fail_next``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.support.http_peer import Answer, HttpPeer, Request, path_only

ANSWERS = {
    "unauthorized": Answer(401, {"error": "The access token is invalid"}),
    "forbidden": Answer(403, {"error": "This action is not allowed"}),
    "too_long": Answer(422, {"error": "Validation failed: Text character limit of 500 exceeded"}),
    "rate_limited": Answer(
        429,
        {"error": "Too many requests"},
        {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0"}
        | {"X-RateLimit-Reset": "2030-01-01T12:05:00.000Z"},
    ),
    "unavailable": Answer(503, b"<html>503 Service Unavailable</html>"),
}


@dataclass(frozen=True)
class Status:
    id: str
    text: str
    visibility: str
    language: str
    in_reply_to_id: str | None
    idempotency_key: str | None


class MastodonServer(HttpPeer):
    def __init__(self, token: str, *, account: str = "musterstadt", limit: int = 500):
        super().__init__()
        self.token = token
        self.account = account
        self.limit = limit
        self.statuses: list[Status] = []
        self._by_key: dict[str, Status] = {}

    def handle(self, request: Request) -> Answer:
        if request.method != "POST" or path_only(request.path) != "/api/v1/statuses":
            return Answer(404, {"error": "Record not found"})
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return ANSWERS["unauthorized"]
        key = request.headers.get("idempotency-key")
        if key and key in self._by_key:
            return Answer(200, self._json(self._by_key[key]))
        form = request.fields()
        text = str(form.get("status") or "")
        if not text:
            return Answer(422, {"error": "Validation failed: Text can't be blank"})
        if len(text) > self.limit:
            return ANSWERS["too_long"]
        visibility = str(form.get("visibility") or "public")
        if visibility not in ("public", "unlisted", "private", "direct"):
            return Answer(422, {"error": "Validation failed: Visibility is not included"})
        reply_to = form.get("in_reply_to_id") or None
        if reply_to and not any(s.id == reply_to for s in self.statuses):
            return Answer(404, {"error": "Record not found"})
        status = Status(
            id=str(110000000000000000 + len(self.statuses) + 1),
            text=text,
            visibility=visibility,
            language=str(form.get("language") or ""),
            in_reply_to_id=reply_to,
            idempotency_key=key,
        )
        self.statuses.append(status)
        if key:
            self._by_key[key] = status
        return Answer(200, self._json(status))

    def _json(self, status: Status) -> dict[str, Any]:
        return {
            "id": status.id,
            "uri": f"{self.url}/users/{self.account}/statuses/{status.id}",
            "url": f"{self.url}/@{self.account}/{status.id}",
            "content": f"<p>{status.text}</p>",
            "visibility": status.visibility,
            "language": status.language,
            "in_reply_to_id": status.in_reply_to_id,
            "spoiler_text": "",
            "sensitive": False,
        }
