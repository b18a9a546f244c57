"""Post a status to a Mastodon instance with the account's access token.

Mastodon keeps an ``Idempotency-Key`` for an hour and answers a repeated request with the
status it already created, so a resend after a crash does not post twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from stadtbote.delivery.channels.base import TransportError
from stadtbote.delivery.channels.broadcast import (
    MASTODON_LIMIT,
    BroadcastItem,
    HostNotAllowed,
    Posted,
    check_host,
    http_client,
    mastodon_text,
    request,
    retry_after_seconds,
)

PERMANENT = frozenset({400, 401, 403, 404, 410, 422})


class MastodonChannel:
    kind = "mastodon"

    def __init__(
        self,
        instance: str,
        token: str,
        *,
        allowed_hosts: Sequence[str],
        limit: int = MASTODON_LIMIT,
        clock: Any = None,
    ):
        self.instance = instance.rstrip("/")
        self._token = token
        self._allowed = tuple(allowed_hosts)
        self._limit = limit
        self._clock = clock
        self._client: httpx.Client | None = None

    def post(self, post: BroadcastItem) -> Posted:
        url = f"{self.instance}/api/v1/statuses"
        try:
            check_host(url, self._allowed)
        except HostNotAllowed as exc:
            raise TransportError(str(exc), permanent=True) from None
        notice = post.notice
        form: dict[str, str] = {
            "status": mastodon_text(notice, self._limit),
            "visibility": "public",
            "language": notice.language,
            "sensitive": "false",
        }
        if post.reply_to:
            form["in_reply_to_id"] = post.reply_to
        if self._client is None:
            self._client = http_client()
        response = request(
            self._client,
            "POST",
            url,
            data=form,
            headers={"Authorization": f"Bearer {self._token}", "Idempotency-Key": post.key},
        )
        return self._outcome(response)

    def _outcome(self, response: httpx.Response) -> Posted:
        status = response.status_code
        if status == 200:
            try:
                body = response.json()
                return Posted(remote_id=str(body["id"]), url=body.get("url") or None)
            except (ValueError, KeyError, TypeError):
                raise TransportError("Mastodon answered 200 without a status id") from None
        reason = f"Mastodon {status}: {_error(response)}"
        if status == 429:
            raise TransportError(reason, retry_after=self._rate_limit_wait(response))
        if status in PERMANENT:
            raise TransportError(reason, permanent=True)
        # 5xx and anything unexpected: the instance may be back soon.
        raise TransportError(
            reason, retry_after=retry_after_seconds(response.headers.get("Retry-After"))
        )

    def _rate_limit_wait(self, response: httpx.Response) -> float | None:
        """Mastodon sends ``X-RateLimit-Reset`` (an ISO time); proxies may send Retry-After."""
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait is not None:
            return wait
        reset = response.headers.get("X-RateLimit-Reset")
        if not reset:
            return None
        try:
            at = datetime.fromisoformat(reset.replace("Z", "+00:00"))
        except ValueError:
            return None
        now = self._clock() if self._clock else datetime.now(UTC).timestamp()
        return max(0.0, at.timestamp() - now)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def _error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase or "error"
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])[:200]
    return response.reason_phrase or "error"
